#!/bin/bash
# Scratch A/B (issue 17, 2026-12-04, docs/PERFORMANCE.md "Two builds of OpenBLAS; the weight gradients of stacked
# directions"): three rounds of the batched Hutchinson-10 (f32) of W2 and M4 at batch 1000 and W2 at batch 32, ours alone.
# Usage: T=THREADS JAR=path/to/benchmarks.jar hvp10-ab-20261204.sh   (alternate two jars by hand)
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JAR=${JAR:-/work/main/bench/target/benchmarks.jar}
req() { echo "{\"cmd\":\"time\",\"workload\":\"$1\",\"op\":\"$2\",\"dtype\":\"$3\",\"batch\":$4,\"variant\":\"batched\",\"warmup\":2,\"reps\":$5}"; }
{ for r in 1 2 3; do req W2 hvp10 f32 1000 5; req M4 hvp10 f32 1000 5; req W2 hvp10 f32 32 40; done; echo '{"cmd":"quit"}'; } | \
MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=67108864 OPENBLAS_NUM_THREADS=1 \
$J --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xss4m -Xmx2g -XX:+UseSerialGC -cp $JAR org.flatminima.bench.compare.CompareWorker --threads ${T:-1} 2>/dev/null | python3 -c '
import sys,json
names=["W2 hvp10 f32 1000","M4 hvp10 f32 1000","W2 hvp10 f32 32"]; i=0
for l in sys.stdin:
    if not l.startswith("{"): continue
    d=json.loads(l)
    for v in d.get("results",[]):
        t=sorted(v.get("times_ms") or [])
        if t: print("%-18s median %.3f min %.3f"%(names[i%3], t[len(t)//2],t[0])); i+=1
'
