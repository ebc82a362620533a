#!/usr/bin/python3
"""Side-by-side comparison of flatminima with PyTorch in one session (issue 6). Run it through bench/compare.sh.

For each thread count T it starts three long-lived workers that speak the same JSON-lines protocol:
  ours     java ... org.flatminima.bench.compare.CompareWorker --threads T
  tuned    /usr/bin/python3 bench/peers/torch_worker.py --threads T, with OPENBLAS/OMP/MKL_NUM_THREADS=T,
           OMP_WAIT_POLICY=PASSIVE and glibc MALLOC_* settings that keep freed buffers mapped
  untuned  the same script with the environment as it is (only --threads T)
Each case (workload, op, dtype, batch) is warmed on every worker, then timed in R rounds alternating
ours, tuned, untuned (A B C A B C ...), with SETTLE_SECONDS of idle time before each round (the other
worker's idle BLAS/OpenMP threads keep spinning for a while after its round); a round is `reps` timed calls,
chosen per worker so that it takes about ROUND_SECONDS. Medians are over all samples of all rounds. Writes
bench/results/compare-<UTC>.md/.json.

Peak memory per case: before a case every worker drops its cached setups, gives freed memory back and resets
its peak resident set (VmHWM, by writing 5 to /proc/self/clear_refs); after the case's last round VmHWM is the
peak while the case ran (warm-up included). The per-point and training cases run on weights and data both sides
generate identically (the shared instance), so their results are checked against each other (agreement).

Standard library only; the peer needs python3-torch and python3-numpy.
"""

import argparse
import datetime
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import time

from compare_worker import Worker, WorkerError  # noqa: F401 (ours-vs.py uses compare.Worker)
from compare_report import (AGREE_PERPOINT, AGREE_PERPOINT_EACH, AGREE_TRAIN, DEFAULT_BATCH, IMPLS,  # noqa: F401
                            TRAIN_BATCH, TRAIN_STEPS, WORKLOADS, agreement, best_variant, case_table, cell,
                            evaluate_targets, fmt_ms, fmt_ratio, impl_best, ratio, render, size_text, summarize,
                            variants_table, product_flops, gemm_limit)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "bench", "target", "benchmarks.jar")
PEER = os.path.join(ROOT, "bench", "peers", "torch_worker.py")
PYTHON = "/usr/bin/python3"

# Our JVM flags. The Vector API and FFM flags are needed; -Xss4m as in the test runs (deep autodiff graphs);
# SerialGC and a 2 GiB heap: tensors live off-heap and the Java heap holds only small objects, so a
# single-threaded collector with no concurrent GC threads leaves both cores to the kernels (W2 HVP time and
# peak RSS measured the same as with G1 or ParallelGC, within noise). -Xmn32m: those small objects die young, and
# the default young generation (a third of the initial heap, 128 MiB here) is all touched, hence resident, between
# two collections; 32 MiB keeps the same total pause time (a pause costs in proportion to the young generation)
# at a lower resident set (docs/PERFORMANCE.md, "Linear layers as one product onto the bias; SGD in two passes").
JVM_FLAGS = ["--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
             "--sun-misc-unsafe-memory-access=allow", "-Xss4m", "-Xmx2g", "-XX:+UseSerialGC", "-Xmn32m"]

# glibc's malloc (the same library under both runtimes): an mmap threshold above every buffer keeps large
# allocations in the heap, and the trim threshold keeps freed memory there instead of returning it to the kernel
# and faulting it in again on the next call (checked here: with MALLOC_MMAP_THRESHOLD_=4 GiB a 40 MiB malloc
# comes from the heap under glibc 2.36). MALLOC_TOP_PAD_ grows the heap in 64 MiB steps (fewer brk calls).
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(4 << 30), "MALLOC_TRIM_THRESHOLD_": str(4 << 30),
              "MALLOC_TOP_PAD_": str(64 << 20)}

ROUND_SECONDS = 0.5     # target duration of one worker's share of a round
WARMUP_SECONDS = 0.5    # untimed warm-up per worker and case (after a first call), at least; longer while
WARMUP_MAX_SECONDS = 8.0  # the worker's JIT compilers are busy (see run_case), up to this
JIT_QUIET = 0.02        # warm-up batches in a row over a second that saw compiling for at most this fraction of
                        # their time end it
SETTLE_SECONDS = 0.3    # idle time before each worker's round (see run_case)
SIZING_CALLS = 5        # the fewest calls of a warm-up batch (their median sizes the next batch and the rounds)
WARMUP_BATCHES = 20     # at most this many warm-up batches per worker and case
MAX_REPS = 20000        # a round of a 20-microsecond op still takes ~0.5 s
JSON_SAMPLES = 500      # the .json keeps every sample of a variant with at most this many, else only the summary
# A case whose rounds are long (one call of every variant of every worker takes seconds, e.g. W3 hvp10 f64 with
# the loops) gets fewer rounds: as many as fit in CASE_BUDGET_SECONDS, but at least MIN_ROUNDS. This keeps a
# full default run near 30 minutes on 2 cores; the report says how many rounds each case got.
CASE_BUDGET_SECONDS = 30.0
MIN_ROUNDS = 2

RELEVANT_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "OMP_WAIT_POLICY", "GOTO_NUM_THREADS", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_", "MALLOC_ARENA_MAX", "LD_PRELOAD", "JAVA_TOOL_OPTIONS",
                "FLATMINIMA_BACKEND", "FLATMINIMA_BLAS", "MKL_CBWR")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------- workers

def worker_specs(java, threads, untuned):
    """(impl, argv, env, env_changes) of each worker for thread count T."""
    base = dict(os.environ)
    t = str(threads)
    ours_changes = dict(MALLOC_ENV, OPENBLAS_NUM_THREADS=t)
    tuned_changes = dict(MALLOC_ENV, OPENBLAS_NUM_THREADS=t, OMP_NUM_THREADS=t, MKL_NUM_THREADS=t,
                         OMP_WAIT_POLICY="PASSIVE")
    specs = [("ours", [java] + JVM_FLAGS + ["-cp", JAR, "org.flatminima.bench.compare.CompareWorker",
                                           "--threads", t], dict(base, **ours_changes), ours_changes),
             ("tuned", [PYTHON, PEER, "--threads", t], dict(base, **tuned_changes), tuned_changes)]
    if untuned:
        specs.append(("untuned", [PYTHON, PEER, "--threads", t], dict(base), {}))
    return specs


def start_workers(java, threads, untuned, logdir, stamp):
    ws = {}
    for impl, argv, env, _ in worker_specs(java, threads, untuned):
        w = Worker(impl, argv, env, os.path.join(logdir, "compare-%s-%s-t%d.log" % (stamp, impl, threads)))
        w.start()
        ws[impl] = w
    return ws


# ----------------------------------------------------------------------------------------------- cases

def case_key(c):
    size = ("n=%d" % c["n"]) if c["op"] == "gemm" else ("points=%d" % c["points"]) if c["op"] == "perpoint" \
        else str(c["batch"])
    return "%s:%s:%s:%s" % (c["workload"], c["op"], c["dtype"], size)


def default_cases(quick, perpoint_points, train_steps=None):
    """The case list (without thread counts): dicts with workload, op, dtype, batch/n/points, and flags."""
    cases = []
    if quick:
        for w in ("W1", "W2"):
            for op in ("grad", "hvp"):
                cases.append(dict(workload=w, op=op, dtype="f32", batch=DEFAULT_BATCH[w]))
        cases.append(dict(workload="GEMM", op="gemm", dtype="f32", n=256))
        cases.append(dict(workload="M4", op="perpoint", dtype="f32", batch=1000, points=perpoint_points or 20,
                          first_thread_only=True, rounds=1))
        cases.append(dict(workload="W3", op="perpoint", dtype="f32", batch=1000, points=perpoint_points or 10,
                          rounds=1))
        for w in ("W3", "M4"):
            cases.append(dict(workload=w, op="train", dtype="f32", batch=TRAIN_BATCH, steps=train_steps or 2))
        return cases
    for w in WORKLOADS:
        for op in ("forward", "grad", "hvp", "hvp10"):
            for dt in ("f32", "f64"):
                # W3 hvp10 f64: our batched pass holds ten f64 tangents of every CNN activation (7.7 GB in one
                # pass); the worker grew past 14 GB and was OOM-killed on a 24 GB machine (docs/PERFORMANCE.md,
                # "Where we are behind"): it runs only when named with its op and dtype, e.g. --cases W3:hvp10:f64
                by_name = (w, op, dt) == ("W3", "hvp10", "f64")
                cases.append(dict(workload=w, op=op, dtype=dt, batch=DEFAULT_BATCH[w], by_name=by_name))
    for w in WORKLOADS:
        for op in ("forward", "grad", "hvp"):
            cases.append(dict(workload=w, op=op, dtype="f32", batch=32))
    for n in (256, 512, 1024):
        for dt in ("f32", "f64"):
            cases.append(dict(workload="GEMM", op="gemm", dtype=dt, n=n))
    cases.append(dict(workload="M4", op="perpoint", dtype="f32", batch=1000, points=perpoint_points or 1000,
                      first_thread_only=True, rounds=1))
    # E2's CNN (W3's architecture) and E2's MLP (M4's): training steps at batch 100
    for w in ("W3", "M4"):
        for dt in ("f32", "f64"):
            cases.append(dict(workload=w, op="train", dtype=dt, batch=TRAIN_BATCH, steps=train_steps or TRAIN_STEPS))
    # exact per-point traces of the CNN, ours against functorch's per-class per-sample gradients
    for dt in ("f32", "f64"):
        cases.append(dict(workload="W3", op="perpoint", dtype=dt, batch=1000, points=perpoint_points or 1000,
                          rounds=1))
    return cases


def reference_blas(blas):
    """The path of the reference (netlib) BLAS when a worker's BLAS is that and no optimised one, else None: with
    python3-torch but without libopenblas0, Debian's alternatives give PyTorch and numpy the reference BLAS."""
    mapped = (blas or {}).get("mapped", [])
    if any("openblas" in m or "mkl" in m or "blis" in m for m in mapped):
        return None
    ref = [m for m in mapped if "/blas/libblas.so" in m]
    return ref[0] if ref else None


def parse_filter(text):
    """'W2:grad,W3' -> [['W2','grad'], ['W3']]; None when no filter."""
    if not text:
        return None
    return [[t for t in item.strip().split(":") if t] for item in text.split(",") if item.strip()]


def matches(case, flt):
    """True when the case matches one filter item: its workload, then every further token is the case's op,
    dtype, batch, n or points (e.g. W2:grad:f32, W3:32, GEMM:512, M4:perpoint)."""
    if flt is None:
        return not case.get("by_name")
    attrs = {case["op"], case["dtype"], str(case.get("batch")), str(case.get("n")), str(case.get("points"))}
    for item in flt:
        if item and item[0].upper() == case["workload"].upper() and all(t in attrs for t in item[1:]):
            if not case.get("by_name") or {case["op"], case["dtype"]} <= set(item[1:]):
                return True
    return False


def wants_rss(flt):
    return flt is None or any(item and item[0].lower() == "rss" for item in flt)


# ----------------------------------------------------------------------------------------------- running

def time_request(case, warmup, reps, points=None):
    r = {"cmd": "time", "workload": case["workload"], "op": case["op"], "dtype": case["dtype"],
         "variant": "all", "warmup": warmup, "reps": reps}
    if case["op"] == "gemm":
        r["n"] = case["n"]
    else:
        r["batch"] = case["batch"]
    if case["op"] == "perpoint":
        r["points"] = points if points is not None else case["points"]
    if case["op"] == "train":
        r["steps"] = case["steps"]
    return r


def call(worker, req):
    """(ok, results or error text); a worker that died or hung is marked `crashed` (restarted on next use)."""
    try:
        rep = worker.request(req)
    except WorkerError as e:
        worker.crashed = True
        return False, str(e)
    if not rep.get("ok"):
        return False, rep.get("error", "unknown error")
    return True, rep.get("results", [])


def total_seconds(results):
    """Seconds of every timed call of every variant, from a reply's results."""
    return sum(sum(r["times_ms"]) for r in results if r.get("times_ms")) / 1000.0


def jit_seconds(results):
    """Seconds the worker's JIT compilers spent compiling during a reply's timed calls (0 if it does not say)."""
    return sum(r.get("jit_ms", 0) for r in results) / 1000.0


def one_call_seconds(results):
    """Seconds of one call of every variant (the median of each one's samples), from a reply's results."""
    return sum(statistics.median(r["times_ms"]) for r in results if r.get("times_ms")) / 1000.0


def run_case(case, workers, rounds):
    """Warms every worker, then times `rounds` rounds alternating the workers; returns {impl: record}."""
    rec = {impl: {"variants": {}, "error": None, "reps": 0} for impl in workers}
    reps = {}
    round_s = 0.0
    for impl, w in workers.items():
        w.crashed = False
        rec[impl]["memory"] = mem_reset(w)
    for impl, w in workers.items():
        if case["op"] == "perpoint":
            ok, res = call(w, time_request(case, 0, 1, points=min(10, case["points"])))   # warm the code
            if ok:
                reps[impl] = 1
        else:
            ok, res = call(w, time_request(case, 0, 1))
            if ok:
                t = max(one_call_seconds(res), 1e-6)
                # the first call does not count toward the warm-up: it can take longer than all of it (the JIT
                # compiling a variant: the vector GEMM's first n = 1024 call 0.6 s), and rounds sized by it held
                # one call each (the two-thread GEMM rows until 2026-12-05: single cold calls after each pause)
                spent = 0.0
                quiet = 0.0   # seconds of the last warm-up batches in a row that saw little compiling
                jit = False   # whether the worker says how long its JIT compiled
                # warm up for WARMUP_SECONDS in batches of calls, each batch sized by the median of the last
                # one: the first calls can be far slower than the rest (the JIT compiling one variant), and
                # a round sized by them would hold a few dozen calls. Then, while the JVM's JIT compilers are
                # busy (jit_ms; a worker without a JIT does not send it), go on in batches of WARMUP_SECONDS
                # (SIZING_CALLS calls at least) until batches in a row saw little compiling for a second (a method
                # called once a step reaches a compiler's threshold only after a few hundred steps), up to
                # WARMUP_MAX_SECONDS: on two vCPUs a compiler thread takes a core from a two-thread step (W3's
                # float gradient took 55-65 ms a step for its first 3 s of calls and 25-30 after;
                # docs/PERFORMANCE.md, "Warm until the JIT compilers are done")
                # a JVM worker that does not send jit_ms (a build from before it, under bench/ours-vs.py) has a JIT
                # all the same: it is warmed for WARMUP_MAX_SECONDS, as a busy compiler would be
                jvm = os.path.basename(w.argv[0]).startswith("java")
                for _ in range(WARMUP_BATCHES):
                    if spent >= WARMUP_MAX_SECONDS or spent >= WARMUP_SECONDS and (
                            quiet >= 1.0 if jit else not jvm):
                        break
                    if spent < WARMUP_SECONDS:
                        n = max(1, min(MAX_REPS, int((WARMUP_SECONDS - spent) / t)))
                        if t * SIZING_CALLS <= WARMUP_SECONDS:
                            n = max(n, SIZING_CALLS)
                    else:   # a batch that can see a compilation: SIZING_CALLS calls or more, within the limit
                        n = max(1, min(MAX_REPS, max(SIZING_CALLS, int(WARMUP_SECONDS / t)),
                                       int((WARMUP_MAX_SECONDS - spent) / t)))
                    ok2, res2 = call(w, time_request(case, 0, n))
                    if not ok2:
                        break
                    t = max(one_call_seconds(res2), 1e-6)
                    took = max(total_seconds(res2), n * 1e-6)
                    spent += took
                    jit = any("jit_ms" in r for r in res2)
                    quiet = quiet + took if jit_seconds(res2) <= JIT_QUIET * took else 0.0
                rec[impl]["warmup_s"] = round(spent, 3)
                reps[impl] = max(1, min(MAX_REPS, int(round(ROUND_SECONDS / t))))
                round_s += reps[impl] * t
        if not ok:
            rec[impl]["error"] = res
    if round_s > 0 and rounds > MIN_ROUNDS:
        rounds = max(MIN_ROUNDS, min(rounds, int(CASE_BUDGET_SECONDS / round_s)))
    for impl in rec:
        rec[impl]["rounds"] = rounds
    for _ in range(rounds):
        for impl, w in workers.items():
            if impl not in reps:
                continue
            # let the previous worker's idle threads stop spinning (OpenBLAS's and OpenMP's busy-wait for a
            # while after a call) before this worker's round: at two threads they took a core from it
            time.sleep(SETTLE_SECONDS)
            ok, res = call(w, time_request(case, 0, reps[impl]))
            if not ok:
                rec[impl]["error"] = res
                if w.crashed:
                    del reps[impl]   # died (e.g. out of memory) or hung: not again on this case
                continue
            rec[impl]["reps"] = reps[impl]
            for r in res:
                v = rec[impl]["variants"].setdefault(r.get("variant", "?"), {"samples": [], "check": None})
                if r.get("error"):
                    v["error"] = r["error"]
                else:
                    v["samples"].extend(r.get("times_ms", []))
                    v["check"] = r.get("check")
                    if "jit_ms" in r:
                        v["jit_ms"] = v.get("jit_ms", 0) + r["jit_ms"]   # compiling during the timed rounds
                    extra = {k: x for k, x in r.items() if k not in ("variant", "times_ms", "check", "jit_ms")}
                    if extra:
                        v["extra"] = extra   # e.g. the peer's mean probes per point, the per-point traces
    for impl, w in workers.items():
        if "peak_kb" in rec[impl]["memory"]:
            rec[impl]["memory"].update(peak_after(w))
    return rec


def mem_reset(worker):
    """Asks a worker to drop its caches, give freed memory back and reset its peak RSS; the record to keep."""
    try:
        rep = worker.request({"cmd": "mem_reset"}, timeout=300)
    except WorkerError as e:
        worker.crashed = True
        return {"error": str(e)}
    if not rep.get("ok") or not rep.get("reset"):
        return {"error": rep.get("error") or rep.get("note") or "peak not reset"}
    out = {"baseline_kb": rep.get("rss_kb"), "peak_kb": None}
    if rep.get("note"):
        out["note"] = rep["note"]
    return out


def peak_after(worker):
    """{"peak_kb": VmHWM} of a worker after a case, or {"peak_kb": None, "error": ..} when it died meanwhile."""
    if worker.crashed or not worker.alive():
        return {"peak_kb": None, "error": "the worker died during the case (restarted: its peak is lost)"}
    try:
        rep = worker.request({"cmd": "rss"}, timeout=60)
    except WorkerError as e:
        return {"peak_kb": None, "error": str(e)}
    return {"peak_kb": rep.get("peak_rss_kb"), "rss_kb": rep.get("rss_kb")}


def measure_rss(java, threads, untuned, logdir, stamp):
    """Peak RSS of a fresh worker of each kind after W2 hvp f32 batch 1000, 20 reps."""
    out = {}
    for impl, argv, env, _ in worker_specs(java, threads, untuned):
        w = Worker(impl, argv, env, os.path.join(logdir, "compare-%s-%s-t%d-rss.log" % (stamp, impl, threads)))
        try:
            ok, res = call(w, {"cmd": "time", "workload": "W2", "op": "hvp", "dtype": "f32", "batch": 1000,
                               "variant": "all", "warmup": 0, "reps": 20})
            if not ok:
                out[impl] = {"error": res}
                continue
            rep = w.request({"cmd": "rss"})
            out[impl] = {"peak_rss_kb": rep.get("peak_rss_kb"), "rss_kb": rep.get("rss_kb")} if rep.get("ok") \
                else {"error": rep.get("error")}
        except WorkerError as e:
            out[impl] = {"error": str(e)}
        finally:
            w.close()
    return out


def blas_text(b):
    """A worker's "blas" field as one short string: a path, or the OpenBLAS paths out of a peer's dict."""
    if isinstance(b, dict):
        paths = [m for m in b.get("mapped", []) if "blas" in os.path.basename(m)]
        return ", ".join(paths) or json.dumps(b)[:200]
    return str(b)


def dpkg_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", pkg], capture_output=True, text=True,
                              timeout=30).stdout.strip().replace("\t", " ") or "%s: not installed" % pkg
    except (OSError, subprocess.SubprocessError):
        return "%s: unknown (no dpkg-query)" % pkg


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


# ----------------------------------------------------------------------------------------------- main

def for_json(run):
    """The run with a summary per variant, and its samples only where there are at most JSON_SAMPLES."""
    out = json.loads(json.dumps(run))
    for tr in out["threads"]:
        for r in tr["cases"]:
            for rec in r["impls"].values():
                for v in rec["variants"].values():
                    if v.get("samples"):
                        v["summary"] = summarize(v["samples"])
                        if len(v["samples"]) > JSON_SAMPLES:
                            del v["samples"]
                    traces = (v.get("extra") or {}).pop("traces", None)
                    if traces:   # the agreement keeps what they say; the sum and count stay
                        v["extra"]["traces_n"], v["extra"]["traces_sum"] = len(traces), sum(traces)
    return out


def shown_args(argv):
    """The command-line arguments without the --java that compare.sh adds."""
    out, skip = [], False
    for x in argv:
        if skip:
            skip = False
        elif x == "--java":
            skip = True
        elif not x.startswith("--java="):
            out.append(x)
    return out


def main(argv):
    p = argparse.ArgumentParser(prog="bench/compare.sh", description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", default=None, help="comma-separated thread counts (default 1,2; --quick: 1)")
    p.add_argument("--cases", default=None,
                   help="filter, e.g. W2:grad,W3,GEMM:512,M4:perpoint,W3:train:f32,rss (tokens after the workload "
                        "match op, dtype, batch, n or points)")
    p.add_argument("--rounds", type=int, default=None, help="timed rounds per case (default 5; --quick: 2)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: W1/W2 f32 grad+hvp, GEMM n=256, M4 perpoint 20 points, W3 perpoint 10 points, "
                        "W3/M4 train 2 steps, 2 rounds, 1 thread")
    p.add_argument("--perpoint-points", type=int, default=None, help="points of the perpoint cases (1000)")
    p.add_argument("--train-steps", type=int, default=None,
                   help="SGD steps in one timed unit of the train cases (%d; --quick: 2)" % TRAIN_STEPS)
    p.add_argument("--no-untuned", action="store_true", help="skip the untuned PyTorch worker")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results"), help="output directory")
    p.add_argument("--java", default=os.environ.get("FM_JAVA", "java"), help="java executable (JDK 25+)")
    a = p.parse_args(argv)

    probe = subprocess.run([PYTHON, "-c", "import torch, numpy; print(torch.__version__, numpy.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print("compare: PyTorch/numpy are not importable by %s: install them with "
              "`apt-get install python3-torch python3-numpy libopenblas0-pthread`" % PYTHON, file=sys.stderr)
        return 2
    if not os.path.isfile(PEER):
        print("compare: the PyTorch worker %s is missing" % PEER, file=sys.stderr)
        return 2
    if not os.path.isfile(JAR):
        print("compare: %s is missing: run bench/compare.sh (it builds it)" % JAR, file=sys.stderr)
        return 2

    threads = [int(t) for t in (a.threads or ("1" if a.quick else "1,2")).split(",") if t.strip()]
    rounds = a.rounds if a.rounds is not None else (2 if a.quick else 5)
    flt = parse_filter(a.cases)
    cases = [c for c in default_cases(a.quick, a.perpoint_points, a.train_steps) if matches(c, flt)]
    untuned = not a.no_untuned
    os.makedirs(a.out, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    logdir = os.path.join(os.environ.get("TMPDIR", "/tmp"), "flatminima-compare-%s" % stamp)
    os.makedirs(logdir, exist_ok=True)
    t_start = time.monotonic()

    header = {"date": now.strftime("%Y-%m-%d %H:%M:%S UTC"), "jvm_flags": JVM_FLAGS, "python": PYTHON,
              "min_rounds": MIN_ROUNDS, "case_budget_seconds": CASE_BUDGET_SECONDS, "round_seconds": ROUND_SECONDS,
              "settle_seconds": SETTLE_SECONDS, "warmup_seconds": WARMUP_SECONDS,
              "warmup_max_seconds": WARMUP_MAX_SECONDS, "jit_quiet": JIT_QUIET,
              "command": " ".join(shlex.quote(x) for x in ["bench/compare.sh"] + shown_args(argv)),
              "cpu": cpu_model(), "cpus": os.cpu_count(), "openblas_pkg": dpkg_version("libopenblas0-pthread"),
              "coretype": os.environ.get("OPENBLAS_CORETYPE", "(unset)"), "rounds": rounds,
              "impls": list(IMPLS if untuned else IMPLS[:2]),
              "env_changes": {impl: ch for impl, _, _, ch in worker_specs(a.java, threads[0], untuned)},
              "inherited_env": {k: os.environ[k] for k in RELEVANT_ENV if k in os.environ},
              "torch": probe.stdout.split()[0], "numpy": probe.stdout.split()[1]}
    run = {"header": header, "threads": [], "infos": {}}
    log("compare: %d case(s) x threads %s, %d round(s); worker logs in %s" % (len(cases), threads, rounds, logdir))
    live = []

    def on_term(signum, frame):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)   # kill <pid> also writes the partial report and stops the workers
    try:
        for ti, t in enumerate(threads):
            ws = start_workers(a.java, t, untuned, logdir, stamp)
            live = list(ws.values())
            infos = {}
            for impl, w in ws.items():
                try:
                    infos[impl] = w.request({"cmd": "info"}, timeout=300)
                except WorkerError as e:
                    infos[impl] = {"ok": False, "error": str(e)}
            run["infos"][str(t)] = infos
            slow = reference_blas(infos.get("tuned", {}).get("blas"))
            if slow:
                log("compare: PyTorch's BLAS here is the reference BLAS (%s), tens of times slower than OpenBLAS: "
                    "install OpenBLAS (apt-get install libopenblas0-pthread) and run again" % slow)
                return 2
            header.setdefault("java", infos.get("ours", {}).get("java"))
            header.setdefault("ours_blas", blas_text(infos.get("ours", {}).get("blas")))
            header.setdefault("peer_blas", blas_text(infos.get("tuned", {}).get("blas")))
            if infos.get("tuned", {}).get("torch"):
                header["torch"] = infos["tuned"]["torch"]
            tr = {"threads": t, "cases": [],
                  "openblas_threads": {k: v.get("openblas_threads") for k, v in infos.items()}}
            run["threads"].append(tr)
            for c in cases:
                if c.get("first_thread_only") and ti > 0:
                    continue
                key = case_key(c)
                t0 = time.monotonic()
                impls = run_case(c, ws, c.get("rounds", rounds))
                tr["cases"].append({"key": key, "case": c, "impls": impls, "agreement": agreement(c, impls)})
                on, os_ = impl_best(impls.get("ours"))
                tn, ts = impl_best(impls.get("tuned"))
                log("  T=%d %-22s ours %s | tuned %s | ratio %s  (%.0f s)" % (
                    t, key, cell(on, os_), cell(tn, ts),
                    fmt_ratio(ratio(os_["median"] if on else None, ts["median"] if tn else None)),
                    time.monotonic() - t0))
            for w in ws.values():
                w.close()
            live = []
            if wants_rss(flt):
                log("  T=%d peak RSS: fresh workers, W2 hvp f32, 20 reps" % t)
                tr["rss"] = measure_rss(a.java, t, untuned, logdir, stamp)
    except KeyboardInterrupt:
        header["interrupted"] = True
        log("compare: interrupted; writing what was measured")
    finally:
        for w in live:
            w.close()
    secs = time.monotonic() - t_start
    header["wall"] = "%d min %02d s%s" % (secs // 60, secs % 60,
                                         " (INTERRUPTED: partial results)" if header.get("interrupted") else "")
    run["targets"] = evaluate_targets(run)
    md = render(run)
    base = os.path.join(a.out, "compare-%s" % stamp)
    with open(base + ".md", "w") as f:
        f.write(md + "\n")
    with open(base + ".json", "w") as f:
        json.dump(for_json(run), f, indent=1)
    print(md.split("\n## All variants")[0])
    print("(written: %s.md, %s.json; worker logs: %s)" % (base, base, logdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
