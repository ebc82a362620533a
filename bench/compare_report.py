#!/usr/bin/python3
"""The statistics, targets and report of bench/compare.py (the side-by-side comparison with PyTorch): turns a
run's records into the target rows, the markdown tables and the agreement of the two sides. Standard library only.
"""

import json
import statistics

IMPLS = ("ours", "tuned", "untuned")
TRAIN_BATCH = 100       # E2's batch
TRAIN_STEPS = 10        # SGD steps in one timed unit of op train
# Agreement of the two sides on the shared instance: largest relative difference allowed, per dtype.
# perpoint: of the trace sums and of each point's trace; train: of the last step's loss after TRAIN_STEPS steps
# from the same weights (rounding grows with the steps).
AGREE_PERPOINT = {"f32": 1e-5, "f64": 1e-10}
AGREE_PERPOINT_EACH = {"f32": 1e-4, "f64": 1e-9}
AGREE_TRAIN = {"f32": 1e-4, "f64": 1e-9}

WORKLOADS = ("W1", "W2", "W3", "M4")
DEFAULT_BATCH = {"W1": 1000, "W2": 1000, "W3": 256, "M4": 1000}

# Multiply-adds per sample of each product layer, first layer first (the workloads of peers/torch_worker.py):
# dense in x out; a convolution O x C x k x k x output positions.
PRODUCT_MACS = {
    "W1": (784 * 10,),
    "W2": (784 * 512, 512 * 512, 512 * 10),
    "M4": (784 * 256, 256 * 256, 256 * 256, 256 * 256, 256 * 10),
    "W3": (32 * 1 * 9 * 28 * 28, 64 * 32 * 9 * 14 * 14, 3136 * 128, 128 * 10),
}
# Products per layer as multiples of its forward product F = 2 B macs, (first layer, the others): the gradient
# is F forward plus F for the weight gradient, plus F for the input gradient except on the first layer (its input
# is data); forward-over-reverse adds the tangent of each: dZ = dX W + X dW (one product on the first layer,
# where dX = 0), the tangent of the input gradient (two), of the weight gradient (two; one on the first layer).
PRODUCT_MULTIPLES = {"forward": (1, 1), "grad": (2, 3), "hvp": (4, 9)}
# The cases whose fraction of the machine's GEMM throughput issue 17 asks to be at least FLOP_TARGET
FLOP_TARGET = 0.9
FLOP_TARGET_CASES = (("W2", "grad"), ("W2", "hvp"), ("W3", "grad"))


def product_flops(workload, op, batch):
    """Floating-point operations of the matrix products (GEMMs and convolutions) of one call; None if unknown.

    Elementwise work, pooling and softmax are not counted, so this is a lower bound of the work, and
    flops / time / (the GEMM's own throughput) the fraction of the machine's product limit the call reaches.
    W2's gradient at batch 1000 is 3.21e9 (issue 17 quotes 4.0e9, which also counts the first layer's input
    gradient that neither side computes)."""
    macs = PRODUCT_MACS.get(workload)
    mult = PRODUCT_MULTIPLES.get(op)
    if macs is None or mult is None:
        return None
    return 2.0 * batch * (mult[0] * macs[0] + mult[1] * sum(macs[1:]))


def gemm_limit(by, dtype, n=1024):
    """GFLOP/s of the fastest GEMM (ours or numpy's) at n in this run and thread count, by its fastest call (the
    machine's limit: a median on a noisy machine made fractions above 1), and its name; (None, reason) when the run
    has no such case."""
    r = by.get("GEMM:gemm:%s:n=%d" % (dtype, n))
    best, name = None, None
    for impl in ("ours", "tuned"):
        for v, rec in ((r or {}).get("impls", {}).get(impl) or {}).get("variants", {}).items():
            if stats(rec):
                g = 2.0 * n ** 3 / (stats(rec)["min"] / 1000.0) / 1e9
                if best is None or g > best:
                    best, name = g, v
    return (best, name) if best else (None, "no GEMM n=%d %s in this run (add --cases GEMM:%d)" % (n, dtype, n))

def size_text(c):
    """The size column of a case: n=, points=, the batch, and a train unit's steps."""
    if c["op"] == "gemm":
        return "n=%d" % c["n"]
    if c["op"] == "perpoint":
        return "points=%d" % c["points"]
    if c["op"] == "train":
        return "%d, %d steps" % (c["batch"], c["steps"])
    return str(c["batch"])

# ----------------------------------------------------------------------------------------------- statistics

def summarize(samples):
    """min / median / max of a list of times (ms)."""
    return {"min": min(samples), "median": statistics.median(samples), "max": max(samples), "n": len(samples)}


def stats(v):
    """A variant's min / median / max: from its samples, or from the summary a run's JSON keeps instead of more
    than JSON_SAMPLES of them (so a report re-rendered from the JSON says what the first one said); None if
    neither."""
    if v.get("samples"):
        return summarize(v["samples"])
    return v.get("summary")


def best_variant(variants, prefer=None):
    """(name, summary) of the variant with the smallest median, or of `prefer` when it has samples;
    (None, error text) when no variant has samples."""
    ok = {k: stats(v) for k, v in variants.items() if stats(v)}
    if prefer and prefer in ok:
        return prefer, ok[prefer]
    if not ok:
        errs = [("%s: %s" % (k, v["error"])) if len(variants) > 1 else v["error"]
                for k, v in variants.items() if v.get("error")]
        return None, "; ".join(errs) or "no samples"
    name = min(ok, key=lambda k: ok[k]["median"])
    return name, ok[name]


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def fmt_ms(x):
    if x is None:
        return "-"
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    if x >= 1:
        return "%.2f" % x
    return "%.3f" % x


def fmt_ratio(r):
    return "-" if r is None else ("%.2f" % r if r >= 0.01 else "%.4f" % r)


def cell(name, s, show_variant=True):
    if name is None:
        return "error: " + str(s)[:120].replace("|", "/")
    v = (" (%s)" % name) if show_variant else ""
    return "%s%s [%s-%s]" % (fmt_ms(s["median"]), v, fmt_ms(s["min"]), fmt_ms(s["max"]))

def rel_diff(a, b):
    """|a - b| / |b| (inf when b is 0 and a is not)."""
    if a == b:
        return 0.0
    return abs(a - b) / abs(b) if b != 0 else float("inf")


def agreement(case, impls):
    """How ours agrees with each peer variant on the shared instance: {peer impl: {variant: {..}}}.

    perpoint: relative difference of the trace sums and the largest per point (variants that return traces;
    the authors' Hutchinson loop returns only its mean, a stochastic estimate, compared as `mean_of_estimate`,
    informative only); train: of the last step's loss."""
    if case["op"] not in ("perpoint", "train"):
        return {}
    ours = impls.get("ours", {}).get("variants", {})
    if not ours:
        return {}
    mine = next(iter(ours.values()))
    out = {}
    for impl in ("tuned", "untuned"):
        for name, v in impls.get(impl, {}).get("variants", {}).items():
            if not v.get("samples") or mine.get("check") is None or v.get("check") is None:
                continue
            a = {}
            ta, tb = (mine.get("extra") or {}).get("traces"), (v.get("extra") or {}).get("traces")
            if case["op"] == "perpoint" and ta and tb and len(ta) == len(tb):
                a["sum"] = rel_diff(sum(ta), sum(tb))
                a["each_max"] = max(rel_diff(x, y) for x, y in zip(ta, tb))
            else:
                a["mean_of_estimate" if case["op"] == "perpoint" else "loss"] = rel_diff(mine["check"], v["check"])
            out.setdefault(impl, {})[name] = a
    return out


def impl_best(rec, prefer=None):
    if rec is None:
        return None, "not run"
    if not rec["variants"]:
        return None, rec["error"] or "no result"
    return best_variant(rec["variants"], prefer)

# ----------------------------------------------------------------------------------------------- targets

SCALING_TARGET = 1.7   # the two threads against one, W2 and W3 gradient and HVP


def evaluate_targets(run):
    """Rows (target, threads, case, value text, limit text, met: True/False/None) from a run's results."""
    rows = []
    for tr in run["threads"]:
        t = tr["threads"]
        by = {r["key"]: r for r in tr["cases"]}

        def med(key, impl, prefer=None):
            r = by.get(key)
            name, s = impl_best(r["impls"].get(impl) if r else None, prefer)
            return (s["median"], name) if name else (None, s)

        def add(target, case, value, limit, ok, note=""):
            rows.append(dict(target=target, threads=t, case=case, value=value, limit=limit, met=ok, note=note))

        def train_target(key):
            a, an = med(key, "ours")
            b, bn = med(key, "tuned")
            r = ratio(a, b)
            steps = by[key]["case"]["steps"]
            if r is None:
                add("training ratio", key, "error: " + str(an if a is None else bn)[:80], "<= 1", None)
            else:
                add("training ratio", key, "%.3f (ours %.1f steps/s, PyTorch %.1f steps/s)" % (
                    r, 1000.0 * steps / a, 1000.0 * steps / b), "<= 1", r <= 1.0)

        def vs_peer(target, key, limit, prefer=None):
            if key not in by:
                return
            a, an = med(key, "ours", prefer)
            b, bn = med(key, "tuned")
            r = ratio(a, b)
            if r is None:
                add(target, key, "error: " + str(an if a is None else bn)[:80], "<= %g" % limit, None)
            else:
                add(target, key, "%.3f (%s %s / %s %s ms)" % (r, an, fmt_ms(a), bn, fmt_ms(b)),
                    "<= %g" % limit, r <= limit)

        # the GEMM-bound rows: W2, W3 and M4 at their default batches, gradient and HVP; W2's and M4's
        # Hutchinson-10 too (ten HVPs' products: GEMM-bound as well; the 0.7 is for W3's, below)
        for w in ("W2", "W3", "M4"):
            for op in ("grad", "hvp", "hvp10"):
                for dt in ("f32", "f64"):
                    if op != "hvp10" or w != "W3":
                        vs_peer("GEMM-bound ratio", "%s:%s:%s:%d" % (w, op, dt, DEFAULT_BATCH[w]), 1.0,
                                prefer="batched" if op == "hvp10" else None)
        for op in ("forward", "grad", "hvp", "hvp10"):
            for dt in ("f32", "f64"):
                vs_peer("overhead-bound ratio", "W1:%s:%s:1000" % (op, dt), 0.5)
        for w in WORKLOADS:
            for op in ("forward", "grad", "hvp"):
                vs_peer("small-batch ratio", "%s:%s:f32:32" % (w, op), 1.0)
        for w in ("W2", "W3"):
            for dt in ("f32", "f64"):
                kg, kh = ("%s:%s:%s:%d" % (w, op, dt, DEFAULT_BATCH[w]) for op in ("grad", "hvp"))
                if kg in by and kh in by:
                    g, _ = med(kg, "ours")
                    h, _ = med(kh, "ours")
                    r = ratio(h, g)
                    add("our hvp / our grad", "%s %s" % (w, dt),
                        "-" if r is None else "%.2f (%s / %s ms)" % (r, fmt_ms(h), fmt_ms(g)), "<= 2.6",
                        None if r is None else r <= 2.6)
        for w in ("W2", "W3", "M4"):
            for op in ("grad", "hvp"):
                for dt in ("f32", "f64"):
                    key = "%s:%s:%s:%d" % (w, op, dt, DEFAULT_BATCH[w])
                    if key not in by:
                        continue
                    a, an = med(key, "ours")
                    limit, lname = gemm_limit(by, dt)
                    targeted = (w, op) in FLOP_TARGET_CASES
                    if a is None or limit is None:
                        add("fraction of the GEMM limit (ours)", key, "-: " + str(an if a is None else lname)[:80],
                            ">= %g" % FLOP_TARGET if targeted else "-", None)
                        continue
                    f = product_flops(w, op, DEFAULT_BATCH[w])
                    q = f / (a / 1000.0) / 1e9 / limit
                    add("fraction of the GEMM limit (ours)", key, "%.2f (%.2f GFLOP in %s ms = %.1f GFLOP/s; GEMM n=1024 "
                        "%s %.1f GFLOP/s)" % (q, f / 1e9, fmt_ms(a), f / (a / 1000.0) / 1e9, lname, limit),
                        ">= %g" % FLOP_TARGET if targeted else "-", q >= FLOP_TARGET if targeted else None)
        for dt in ("f32", "f64"):
            vs_peer("hvp10 (ours batched) ratio", "W3:hvp10:%s:%d" % (dt, DEFAULT_BATCH["W3"]), 0.7,
                    prefer="batched")
        for key in by:
            if key.startswith("M4:perpoint:"):
                vs_peer("per-point traces ratio (vs the authors' loop)", key, 0.01)
            elif ":perpoint:" in key:
                vs_peer("exact per-point traces ratio", key, 0.5)
        for key in by:
            if ":train:" in key:
                train_target(key)
        for key in by:
            c = by[key]["case"]
            agree = by[key].get("agreement", {}).get("tuned", {})
            if c["op"] not in ("perpoint", "train") or (c["op"] == "perpoint" and c["workload"] == "M4"):
                continue
            if not agree:
                add("agreement with the peer", key, "no comparable results", "-", None)
            for name, a in agree.items():
                if c["op"] == "perpoint":
                    lim, lim_each = AGREE_PERPOINT[c["dtype"]], AGREE_PERPOINT_EACH[c["dtype"]]
                    if "sum" in a:
                        add("agreement with the peer", "%s vs %s" % (key, name),
                            "sum %.1e, largest per point %.1e" % (a["sum"], a["each_max"]),
                            "<= %g, <= %g" % (lim, lim_each), a["sum"] <= lim and a["each_max"] <= lim_each)
                    else:
                        add("agreement with the peer", "%s vs %s" % (key, name), "no traces", "-", None)
                else:
                    lim = AGREE_TRAIN[c["dtype"]]
                    add("agreement with the peer", "%s vs %s" % (key, name), "loss %.1e" % a["loss"],
                        "<= %g" % lim, a["loss"] <= lim)
        memory_target(by, add)
        for key in by:
            if key.startswith("GEMM:") and ":f32:" in key:
                r = by[key]["impls"]
                peer = stats(r.get("tuned", {}).get("variants", {}).get("numpy", {}))
                for ours, limit in (("native", 0.95), ("vector", 0.70)):
                    mine = stats(r.get("ours", {}).get("variants", {}).get(ours, {}))
                    if peer and mine:
                        q = peer["median"] / mine["median"]
                        add("GEMM %s / numpy throughput" % ours, key, "%.3f (%s vs %s ms)" % (
                            q, fmt_ms(mine["median"]), fmt_ms(peer["median"])),
                            ">= %.2f" % limit, q >= limit)
                    else:
                        add("GEMM %s / numpy throughput" % ours, key, "error: no samples", ">= %.2f" % limit,
                            None)
        rss = tr.get("rss")
        if rss:
            a = rss.get("ours", {}).get("peak_rss_kb")
            b = rss.get("tuned", {}).get("peak_rss_kb")
            c = rss.get("untuned", {}).get("peak_rss_kb")
            if a and b:
                add("peak RSS ours <= peer", "W2 hvp f32, 20 reps",
                    "%.0f MiB vs %.0f MiB tuned%s" % (a / 1024, b / 1024,
                                                       (", %.0f MiB untuned" % (c / 1024)) if c else ""),
                    "ours <= tuned", a <= b)
            else:
                add("peak RSS ours <= peer", "W2 hvp f32, 20 reps", "error: %s" % json.dumps(rss)[:100],
                    "ours <= tuned", None)
    rows += scaling_targets(run)
    return rows


def scaling_targets(run):
    """The issue's "two threads at least 1.7x faster than one" rows (W2 and W3, gradient and HVP, f32 and f64):
    our one-thread median over our two-thread median, where the run has both."""
    by_t = {tr["threads"]: {r["key"]: r for r in tr["cases"]} for tr in run["threads"]}
    if 1 not in by_t or 2 not in by_t:
        return []
    rows = []
    for w in ("W2", "W3"):
        for op in ("grad", "hvp"):
            for dt in ("f32", "f64"):
                key = "%s:%s:%s:%d" % (w, op, dt, DEFAULT_BATCH[w])
                one, two = (impl_best(by_t[t][key]["impls"].get("ours") if key in by_t[t] else None)
                            for t in (1, 2))
                if not one[0] or not two[0]:
                    continue
                q = one[1]["median"] / two[1]["median"]
                value = "%.2fx (%s / %s ms)" % (q, fmt_ms(one[1]["median"]), fmt_ms(two[1]["median"]))
                rows.append(dict(target="two threads / one (ours)", threads=2, case=key, value=value,
                                 limit=">= %gx" % SCALING_TARGET, met=q >= SCALING_TARGET, note=""))
    return rows


def memory_target(by, add):
    """One row: on how many cases our peak RSS is at most the tuned peer's, and the worst case."""
    rows = []
    for key, r in by.items():
        a = r["impls"].get("ours", {}).get("memory", {}).get("peak_kb")
        b = r["impls"].get("tuned", {}).get("memory", {}).get("peak_kb")
        if a and b:
            rows.append((a / b, key, a, b))
    if not rows:
        return
    worst = max(rows)
    met = sum(1 for q, _, _, _ in rows if q <= 1.0)
    add("peak RSS ours <= peer, every case", "%d cases" % len(rows),
        "%d of %d; highest ours / peer %.2f (%s: %.0f vs %.0f MiB)" % (
            met, len(rows), worst[0], worst[1], worst[2] / 1024, worst[3] / 1024), "every case", met == len(rows))


# ----------------------------------------------------------------------------------------------- report

def mib(rec):
    """A record's peak RSS in MiB as text, "-" when not measured."""
    m = (rec or {}).get("memory", {})
    return "%.0f" % (m["peak_kb"] / 1024) if m.get("peak_kb") else "-"

def untuned_label(tr):
    """The untuned column's heading: the threads OpenBLAS really uses in that worker (it ignores
    torch.set_num_threads), flagged when that is more than the row's thread count."""
    n = (tr.get("openblas_threads") or {}).get("untuned")
    if n is None:
        return "peer untuned (OpenBLAS threads unknown)"
    if n > tr["threads"]:
        return "peer untuned (OpenBLAS on %d threads: not a %d-thread figure)" % (n, tr["threads"])
    return "peer untuned (OpenBLAS on %d threads)" % n


def case_table(tr, untuned):
    head = ["workload", "op", "dtype", "batch", "ours (variant) median [min-max] ms",
            "peer tuned (variant) median [min-max] ms", "ratio"]
    if untuned:
        head += [untuned_label(tr) + " median ms", "ratio"]
    head += ["peak RSS MiB ours / tuned" + (" / untuned" if untuned else "")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in tr["cases"]:
        c = r["case"]
        on, os_ = impl_best(r["impls"].get("ours"))
        tn, ts = impl_best(r["impls"].get("tuned"))
        row = [c["workload"], c["op"], c["dtype"], size_text(c), cell(on, os_), cell(tn, ts),
               fmt_ratio(ratio(os_["median"] if on else None, ts["median"] if tn else None))]
        if untuned:
            un, us = impl_best(r["impls"].get("untuned"))
            row += [("%s (%s)" % (fmt_ms(us["median"]), un)) if un else cell(un, us),
                    fmt_ratio(ratio(os_["median"] if on else None, us["median"] if un else None))]
        row.append(" / ".join(mib(r["impls"].get(i)) for i in (IMPLS if untuned else IMPLS[:2])))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def variants_table(tr):
    """Every variant's samples; warm-up s and JIT ms: the worker's untimed warm-up and its JIT compilers' time
    during the timed rounds ("-": not recorded, or a worker without a JIT)."""
    lines = ["| case | impl | variant | median [min-max] ms | samples | rounds x reps | warm-up s | JIT ms | check |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in tr["cases"]:
        for impl, rec in r["impls"].items():
            if not rec["variants"]:
                lines.append("| %s | %s | - | error: %s | 0 | - | - | - | - |" % (r["key"], impl,
                                                                             str(rec["error"])[:100]))
            for name, v in rec["variants"].items():
                s = stats(v)
                if s:
                    chk = v.get("check")
                    lines.append("| %s | %s | %s | %s [%s-%s] | %d | %s x %s | %s | %s | %s |" % (
                        r["key"], impl, name, fmt_ms(s["median"]), fmt_ms(s["min"]), fmt_ms(s["max"]), s["n"],
                        rec.get("rounds", "?"), rec.get("reps", "?"), rec.get("warmup_s", "-"),
                        v.get("jit_ms", "-"), "-" if chk is None else "%.6g" % chk))
                else:
                    lines.append("| %s | %s | %s | error: %s | 0 | - | - | - | - |" % (
                        r["key"], impl, name, str(v.get("error"))[:100].replace("|", "/")))
    return "\n".join(lines)


def agreement_table(run):
    """Relative differences between ours and each peer variant, for every case that has them."""
    lines = []
    for tr in run["threads"]:
        for r in tr["cases"]:
            for impl, by_variant in (r.get("agreement") or {}).items():
                for name, a in by_variant.items():
                    lines.append("| %d | %s | %s %s | %s |" % (tr["threads"], r["key"], impl, name, ", ".join(
                        "%s %.2e" % kv for kv in sorted(a.items()))))
    if not lines:
        return ""
    return "\n".join(["| threads | case | peer variant | relative difference of ours from it |",
                      "|---|---|---|---|"] + lines)


def targets_table(rows):
    lines = ["| target | threads | case | value | limit | met |", "|---|---|---|---|---|---|"]
    for r in rows:
        met = "met" if r["met"] else ("NOT met" if r["met"] is False else "n/a")
        lines.append("| %s | %d | %s | %s | %s | %s |" % (r["target"], r["threads"], r["case"], r["value"],
                                                          r["limit"], met))
    return "\n".join(lines)


def warmup_text(h):
    """The warm-up the run's header says it used (runs before 2026-12-07 evening: 0.5 s, no JIT criterion)."""
    if "warmup_max_seconds" not in h:
        return "warm-up (0.5 s)"
    return ("warm-up (%s s, longer while the worker's JIT compilers are busy: until its calls over a second in a row "
            "see them compiling at most %s of their time, at most %s s; the warm-up s column)" % (
                h["warmup_seconds"], h["jit_quiet"], h["warmup_max_seconds"]))


def render(run):
    """The markdown report; the header carries the driver's settings (jvm_flags, python, min_rounds,
    case_budget_seconds, round_seconds) besides what it measured."""
    h = run["header"]
    out = ["# flatminima vs PyTorch, side by side (%s)" % h["date"], "",
           "- command: `%s`" % h["command"],
           "- CPU: %s (%s logical CPUs)" % (h["cpu"], h["cpus"]),
           "- JDK: %s; our JVM flags: `%s`" % (h.get("java"), " ".join(h["jvm_flags"])),
           "- OpenBLAS: %s; ours loads %s; the peer loads %s" % (h["openblas_pkg"], h.get("ours_blas"),
                                                                  h.get("peer_blas")),
           "- PyTorch %s, numpy %s (through %s)" % (h.get("torch"), h.get("numpy"), h["python"]),
           "- OPENBLAS_CORETYPE=%s for every worker (as the environment has it)" % h["coretype"],
           "- environment set per worker (beyond the inherited one): " + "; ".join(
               "%s: %s" % (k, " ".join("%s=%s" % kv for kv in v.items()) or "(nothing)")
               for k, v in h["env_changes"].items()),
           "- protocol: %s, "
           "then %d round(s) alternating %s (fewer, at least %d, where %d rounds would take over %.0f s: see the "
           "rounds column of All variants), %s s idle before each round; a round is `reps` timed calls (~%.1f s); "
           "median/min/max over all samples; ratio = our best variant's median / the peer's best variant's "
           "median; wall time of the run: %s" % (
               warmup_text(h), h["rounds"],
               " ".join(h["impls"]), h["min_rounds"], h["rounds"], h["case_budget_seconds"],
               h.get("settle_seconds", 0), h["round_seconds"], h.get("wall", "?")),
           "- peak RSS per case: each worker drops its caches, gives freed memory back and resets VmHWM "
           "(/proc/self/clear_refs) before the case; VmHWM after the case's last round (warm-up included)",
           "- train: one timed unit is the listed steps of SGD (momentum 0.9, lr 0.05) at batch 100 from the same "
           "shared weights on both sides; perpoint and train results are checked against the peer's (Agreement)",
           ""]
    for tr in run["threads"]:
        out += ["## %d thread(s)" % tr["threads"], "", case_table(tr, "untuned" in h["impls"]), ""]
        if tr.get("rss"):
            out += ["Peak RSS (fresh worker, W2 hvp f32 batch 1000, 20 reps): " + ", ".join(
                "%s %s" % (k, ("%.0f MiB" % (v["peak_rss_kb"] / 1024)) if v.get("peak_rss_kb")
                           else "error: %s" % v.get("error")) for k, v in tr["rss"].items()), ""]
    out += ["## Targets", "", targets_table(run["targets"]), ""]
    agree = agreement_table(run)
    if agree:
        out += ["## Agreement on the shared instance", "", agree, ""]
    out += ["## All variants", ""]
    for tr in run["threads"]:
        out += ["### %d thread(s)" % tr["threads"], "", variants_table(tr), ""]
    return "\n".join(out)
