#!/usr/bin/env python3
"""Two builds of flatminima side by side: this checkout's bench/target/benchmarks.jar against another's (e.g. a
commit before a change), case by case, their rounds alternating in one session, so that a slow-down of the
machine hits both alike. Reuses compare.py's worker protocol and timing; no PyTorch needed.

  bench/ours-vs.py --other /path/to/other/checkout [--cases W2:grad,W3] [--threads 1,2] [--rounds 5]
  bench/ours-vs.py --other . --other-env FLATMINIMA_BLAS=bundled --this-env FLATMINIMA_BLAS=mkl   # one build, two settings

Writes a Markdown table (median ms of each, this / other, and each worker's warm-up: until its JIT compilers are
quiet, or the longest warm-up for a build whose worker does not say; compare.py's run_case) to stdout.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--other", required=True, help="the other checkout (its bench/target/benchmarks.jar is used)")
    p.add_argument("--cases", default="W1:grad,W1:hvp,W2:grad,W2:hvp,W3:grad,W3:hvp,M4:grad,M4:hvp")
    p.add_argument("--threads", default="1")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--java", default=os.environ.get("FM_JAVA", "java"))
    p.add_argument("--this-env", action="append", default=[], metavar="KEY=VALUE",
                   help="an environment variable for this build's worker only (repeatable)")
    p.add_argument("--other-env", action="append", default=[], metavar="KEY=VALUE",
                   help="an environment variable for the other build's worker only (repeatable)")
    a = p.parse_args()
    extra = {"this": env_pairs(a.this_env), "other": env_pairs(a.other_env)}
    other_jar = os.path.join(os.path.abspath(a.other), "bench", "target", "benchmarks.jar")
    for jar in (compare.JAR, other_jar):
        if not os.path.isfile(jar):
            sys.exit("ours-vs: %s is missing: build it with 'mvn -q -B -DskipTests package -pl bench -am'" % jar)
    flt = compare.parse_filter(a.cases)
    cases = [c for c in compare.default_cases(False, None) if compare.matches(c, flt) and c["op"] != "perpoint"]
    print("| threads | case | other (ms) | this (ms) | this / other | warm-up s (other / this) |")
    print("|--:|---|--:|--:|--:|---|")
    for t in [int(x) for x in a.threads.split(",")]:
        workers = {}
        for name, jar in (("other", other_jar), ("this", compare.JAR)):
            env = dict(os.environ, **compare.MALLOC_ENV, OPENBLAS_NUM_THREADS=str(t), **extra[name])
            argv = [a.java] + compare.JVM_FLAGS + ["-cp", jar, "org.flatminima.bench.compare.CompareWorker",
                                                   "--threads", str(t)]
            w = compare.Worker(name, argv, env, "/tmp/ours-vs-%s-t%d.log" % (name, t))
            w.start()
            workers[name] = w
        try:
            for c in cases:
                rec = compare.run_case(c, workers, a.rounds)
                med = {}
                for name in workers:
                    _, s = compare.impl_best(rec[name])
                    med[name] = s["median"] if isinstance(s, dict) else None
                r = compare.ratio(med["this"], med["other"])
                print("| %d | %s | %s | %s | %s | %s / %s |" % (
                    t, compare.case_key(c), compare.fmt_ms(med["other"]), compare.fmt_ms(med["this"]),
                    compare.fmt_ratio(r), rec["other"].get("warmup_s", "-"), rec["this"].get("warmup_s", "-")))
                sys.stdout.flush()
        finally:
            for w in workers.values():
                w.close()


def env_pairs(pairs):
    """["K=V", ...] -> {K: V}; exits with one line on a malformed pair."""
    out = {}
    for kv in pairs:
        k, sep, v = kv.partition("=")
        if not sep or not k:
            sys.exit("ours-vs: %r is not KEY=VALUE" % kv)
        out[k] = v
    return out


if __name__ == "__main__":
    main()
