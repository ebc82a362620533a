#!/bin/bash
# One CompareWorker request in a fresh JVM: usage JAR THREADS DTYPE REPS VARIANT [OP] [WORKLOAD] [BATCH]; prints the median and the times (ms).
# usage: h10.sh JAR THREADS DTYPE REPS VARIANT [OP] [WORKLOAD] [BATCH]
JAR=${1:-/work/main/bench/target/benchmarks.jar}; T=${2:-1}; DT=${3:-f32}; R=${4:-5}; V=${5:-batched}; OP=${6:-hvp10}; WL=${7:-W3}; B=${8:-256}
printf '{"cmd":"time","workload":"%s","op":"%s","dtype":"%s","batch":%s,"variant":"%s","warmup":2,"reps":%s}\n{"cmd":"quit"}\n' $WL $OP $DT $B $V $R | \
 OPENBLAS_NUM_THREADS=1 /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector --sun-misc-unsafe-memory-access=allow -Xss4m -Xmx2g -XX:+UseSerialGC -Xmn32m $JVMX -cp $JAR org.flatminima.bench.compare.CompareWorker --threads $T 2>/dev/null | python3 -c 'import sys,json,statistics
for l in sys.stdin:
  l=l.strip()
  if not l.startswith("{"): continue
  d=json.loads(l)
  if "results" in d:
    for x in d["results"]: print(x.get("variant"), "median %.1f" % statistics.median(x.get("times_ms")), [round(t,1) for t in x.get("times_ms")])
  else: print(d)'
