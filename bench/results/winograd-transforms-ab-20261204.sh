#!/bin/bash
# The jars: /tmp/bench-old.jar (main before this change) and /tmp/bench-new.jar (after), copies of bench/target/benchmarks.jar.
# A/B of old/new jars on W3 ops: op dtype threads, alternating, 2 rounds
for round in 1 2; do
for T in 1 2; do
for spec in "grad f32 all" "hvp f32 all" "grad f64 all" "hvp f64 all" "hvp10 f32 batched"; do
 set -- $spec
 for j in old new; do
   r=$(bench/results/worker-op-20261204.sh /tmp/bench-$j.jar $T $2 7 $3 $1 2>/dev/null | head -3 | tr '\n' ' ')
   echo "round $round T=$T $1 $2 $j: $r"
 done
done; done; done
