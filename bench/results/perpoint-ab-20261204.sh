#!/bin/bash
# Exact per-point traces of 1,000 points on W3 (E2's CNN) through CompareWorker (op perpoint: Curvature's exact
# per-point traces on the shared instance), two jars alternating, one JVM per (jar, threads, dtype), one untimed
# call then three timed; two rounds. Issue 17, 2026-12-04, night (docs/PERFORMANCE.md, "Exact per-point traces of
# a CNN"). Usage: perpoint-ab-20261204.sh OLD.jar NEW.jar > perpoint-ab-20261204.txt
OLD=$1; NEW=$2
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
run() {
  printf '{"cmd":"time","workload":"W3","op":"perpoint","dtype":"%s","batch":1000,"points":1000,"warmup":1,"reps":3}\n{"cmd":"quit"}\n' "$3" |
    OPENBLAS_NUM_THREADS=1 "$JAVA" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
      --sun-misc-unsafe-memory-access=allow -cp "$1" org.flatminima.bench.compare.CompareWorker --threads "$2" 2>/dev/null |
    python3 -c 'import sys, json
for l in sys.stdin:
    l = l.strip()
    if l.startswith("{\"ok\":true,\"results\""):
        r = json.loads(l)["results"][0]
        print(" ".join("%.0f" % t for t in r["times_ms"]), "trace0 %.17g" % r["traces"][0])'
}
for round in 1 2; do
  for threads in 1 2; do
    for dtype in f64 f32; do
      for jar in old new; do
        j=$OLD; [ $jar = new ] && j=$NEW
        echo "round $round threads $threads $dtype $jar: $(run "$j" $threads $dtype)"
      done
    done
  done
done
