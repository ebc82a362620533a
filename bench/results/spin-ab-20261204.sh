#!/bin/bash
# Scratch A/B (issue 17, 2026-12-04, docs/PERFORMANCE.md "Helpers that wait awake"): one worker per busy-wait
# setting, three rounds of six cases (f32) at T threads; prints each round's median and min per case in ms.
# Usage: spin-ab-20261204.sh THREADS SPIN_MICROS   (needs bench/target/benchmarks.jar)
# usage: ab2.sh threads spinMicros ; prints medians of a few cases, rounds alternate externally
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
T=$1; S=$2
req() { echo "{\"cmd\":\"time\",\"workload\":\"$1\",\"op\":\"$2\",\"dtype\":\"f32\",$3,\"variant\":\"all\",\"warmup\":${5:-20},\"reps\":$4}"; }
{ for r in 1 2 3; do
  req GEMM gemm '"n":256' 300 
  req W2 grad '"batch":32' 300
  req M4 grad '"batch":32' 300
  req W1 grad '"batch":1000' 300
  req W2 grad '"batch":1000' 25 5
  req M4 train '"batch":100,"steps":10' 20 3
  done; echo '{"cmd":"quit"}'; } | \
MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=67108864 OPENBLAS_NUM_THREADS=1 \
$J --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xss4m -Xmx2g -XX:+UseSerialGC -Dflatminima.spinMicros=$S -cp "$(dirname "$0")/../target/benchmarks.jar" org.flatminima.bench.compare.CompareWorker --threads $T 2>/dev/null | python3 -c '
import sys,json
names=["GEMM256","W2g32","M4g32","W1g1000","W2g1000","M4train"]
i=0
for l in sys.stdin:
    if not l.startswith("{"): continue
    d=json.loads(l)
    for v in d.get("results",[]):
        t=v.get("times_ms") or []
        if t:
            t=sorted(t); print("%-8s %-8s median %.4f min %.4f"%(names[i%6], v.get("variant"), t[len(t)//2],t[0])); 
    if d.get("results"): i+=1
'
