"""A/B of two benchmark jars (or one jar with two sets of JVM flags: JAR::FLAGS), each in a persistent CompareWorker,
alternating rounds after a 0.3 s pause, as bench/compare.py does; prints the medians and their ratio (issue 17, 2026-12-04).
usage: jar-ab-20261204.py OLD.jar[::FLAGS] NEW.jar[::FLAGS] THREADS ROUNDS case... (case = W:op:dtype:batch:reps)"""
import json, statistics, subprocess, sys, time, os
J = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"
FL = ["--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
      "-Xss4m", "-Xmx2g", "-XX:+UseSerialGC"]
env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="4294967296", MALLOC_TRIM_THRESHOLD_="4294967296",
           MALLOC_TOP_PAD_="67108864", OPENBLAS_NUM_THREADS="1")
old, new, threads, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def start(spec):
    jar, _, extra = spec.partition("::")
    return subprocess.Popen([J] + FL + extra.split() + ["-cp", jar, "org.flatminima.bench.compare.CompareWorker", "--threads", threads],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
ws = {"old": start(old), "new": start(new)}
def ask(w, req):
    w.stdin.write(json.dumps(req) + "\n"); w.stdin.flush()
    while True:
        l = w.stdout.readline()
        if not l: raise SystemExit("worker died")
        if l.startswith("{"): return json.loads(l)
for case in sys.argv[5:]:
    wl, op, dt, b, reps = case.split(":")
    variant = {"hvp10": "batched", "train": "sgd_momentum", "perpoint": "exact"}.get(op, "flatminima")
    base = {"cmd": "time", "workload": wl, "op": op, "dtype": dt, "batch": int(b), "variant": variant}
    if op == "train": base["steps"] = 10
    if op == "perpoint": base["points"] = int(b)
    times = {"old": [], "new": []}
    for k, w in ws.items():
        ask(w, dict(base, warmup=max(3, int(reps)), reps=1))
    for r in range(rounds):
        for k in (["old", "new"] if r % 2 == 0 else ["new", "old"]):
            time.sleep(0.3)
            res = ask(ws[k], dict(base, warmup=0, reps=int(reps)))
            for x in res.get("results", []):
                if x.get("times_ms"): times[k] += x["times_ms"]
                elif "error" in x: print(x)
    mo, mn = statistics.median(times["old"]), statistics.median(times["new"])
    print("%-22s old %.3f  new %.3f  new/old %.3f  (n=%d)" % (case, mo, mn, mn / mo, len(times["new"])), flush=True)
for w in ws.values():
    try: ask(w, {"cmd": "quit"})
    except SystemExit: pass
