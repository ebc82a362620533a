#!/usr/bin/python3
"""The measurement behind docs/PERFORMANCE.md, "Two threads for the kernels other than GEMM": an A/B of two
CompareWorker jars (main vs branch) in one session, alternating rounds (compare.py's run_case).

usage: ab.py BASE_JAR NEW_JAR --threads 1,2 --cases W3:grad:f32,... --rounds R --java JAVA
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys

spec = importlib.util.spec_from_file_location(
    "compare", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compare.py"))
cmp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cmp)

p = argparse.ArgumentParser()
p.add_argument("base")
p.add_argument("new")
p.add_argument("--threads", default="1,2")
p.add_argument("--cases", default="W3:grad:f32,W3:hvp:f32,W3:grad:f64,W3:hvp:f64")
p.add_argument("--rounds", type=int, default=7)
p.add_argument("--java", required=True)
p.add_argument("--out", required=True)
a = p.parse_args()

logdir = os.path.dirname(os.path.abspath(a.out))
results = {"uptime_before": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
           "rows": []}
for t in [int(x) for x in a.threads.split(",")]:
    env_changes = dict(cmp.MALLOC_ENV, OPENBLAS_NUM_THREADS=str(t))
    env = dict(os.environ, **env_changes)
    workers = {}
    for impl, jar in (("main", a.base), ("perf2t", a.new)):
        argv = [a.java] + cmp.JVM_FLAGS + ["-cp", jar, "org.flatminima.bench.compare.CompareWorker",
                                           "--threads", str(t)]
        w = cmp.Worker(impl, argv, env, os.path.join(logdir, "ab-%s-t%d.log" % (impl, t)))
        w.start()
        workers[impl] = w
    try:
        for c in a.cases.split(","):
            wl, op, dt = c.split(":")
            case = dict(workload=wl, op=op, dtype=dt, batch=cmp.DEFAULT_BATCH[wl])
            rec = cmp.run_case(case, workers, a.rounds)
            row = {"threads": t, "case": c}
            for impl in workers:
                name, s = cmp.impl_best(rec[impl])
                row[impl] = s if name else {"error": s}
                row[impl + "_variant"] = name
                row[impl + "_rounds"] = rec[impl].get("rounds")
            row["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
            results["rows"].append(row)
            m, n = row["main"].get("median"), row["perf2t"].get("median")
            print("t=%d %-12s main %8.2f ms  perf2t %8.2f ms  new/old %.3f  (%s)" % (
                t, c, m, n, n / m, row["uptime"].split("load average:")[-1].strip()), flush=True)
    finally:
        for w in workers.values():
            w.close()
results["uptime_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
with open(a.out, "w") as f:
    json.dump(results, f, indent=1)
