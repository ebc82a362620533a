#!/bin/bash
# Issue 17 (2026-12-03, docs/PERFORMANCE.md "OpenBLAS core type on this AMD EPYC"): W2/W3 through CompareWorker at one
# thread with the bundled OpenBLAS forced to its Zen or Haswell kernels (OPENBLAS_CORETYPE), alternating, 3 rounds.
# Run with every reproduce JVM paused: /work/wt/quiet2.sh 900 bash THIS
cd /work/main
for r in 1 2 3; do
 for core in Zen Haswell; do
  for c in "W2 grad 1000 40" "W2 hvp 1000 20" "W3 grad 256 15"; do
   set -- $c
   echo -n "round $r core $core $1 $2 b$3: "
   OPENBLAS_CORETYPE=$core WARMUP=10 bench/results/overhead-profile-20261203.sh bench/target/benchmarks.jar $1 $2 $3 $4 x | tail -1
  done
 done
done
