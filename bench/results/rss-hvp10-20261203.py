#!/usr/bin/python3
"""Peak resident memory of W3 Hutchinson-10 (f32, batch 256), the measurement behind docs/PERFORMANCE.md,
"A pool sized to the pass": a fresh worker per row runs one variant of op hvp10 `reps` times, then answers
{"cmd":"rss"} (VmHWM of /proc/self/status for ours; ru_maxrss for PyTorch's). Same environments as
compare.py (malloc settings, OPENBLAS/OMP threads).

usage: rss-hvp10-20261203.py --java JAVA --other-jar MAIN_JAR --threads 1 --reps 3 --out FILE.json
"""
import argparse
import importlib.util
import json
import os
import subprocess
import time

spec = importlib.util.spec_from_file_location(
    "compare", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compare.py"))
cmp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cmp)

p = argparse.ArgumentParser()
p.add_argument("--java", required=True)
p.add_argument("--other-jar", required=True, help="the jar of the build to compare with (main)")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--reps", type=int, default=3)
p.add_argument("--out", required=True)
a = p.parse_args()


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


t = str(a.threads)
specs = {impl: (argv, env) for impl, argv, env, _ in cmp.worker_specs(a.java, a.threads, False)}
ours_argv, ours_env = specs["ours"]
rows = [("this:batched", ours_argv, ours_env, "batched"),
        ("main:batched", [x if x != cmp.JAR else a.other_jar for x in ours_argv], ours_env, "batched"),
        ("torch:functorch_vmap", specs["tuned"][0], specs["tuned"][1], "functorch_vmap")]
out = {"uptime_before": uptime(), "threads": a.threads, "reps": a.reps, "rows": []}
logdir = os.path.dirname(os.path.abspath(a.out))
for name, argv, env, variant in rows:
    w = cmp.Worker(name, argv, env, "/tmp/rss-hvp10-%s-t%s.log" % (name.replace(":", "-"), t))
    w.start()
    t0 = time.monotonic()
    try:
        rep = w.request({"cmd": "time", "workload": "W3", "op": "hvp10", "dtype": "f32", "batch": 256,
                         "variant": variant, "warmup": 0, "reps": a.reps}, timeout=3600)
        rss = w.request({"cmd": "rss"})
        times = [r.get("times_ms") for r in rep.get("results", [])] if rep.get("ok") else rep.get("error")
        row = {"name": name, "times_ms": times, "peak_rss_kb": rss.get("peak_rss_kb"), "rss_kb": rss.get("rss_kb"),
               "wall_s": round(time.monotonic() - t0, 1), "uptime": uptime()}
    except cmp.WorkerError as e:
        row = {"name": name, "error": str(e), "uptime": uptime()}
    finally:
        w.close()
    out["rows"].append(row)
    print(json.dumps(row), flush=True)
out["uptime_after"] = uptime()
with open(a.out, "w") as f:
    json.dump(out, f, indent=1)
