#!/bin/bash
# alternates the old (c8d2dfd worktree) and new builds' JMH GEMM benchmark
args="-p backend=vector,native -p threads=1 -p dtype=F32,F64 -p n=256,512,1024 -wi 2 -i 3 -w 1 -r 1 -f 1"
for round in 1 2; do
  for b in new old; do
    root=/work/main; [ $b = old ] && root=/tmp/wt-old
    echo "=== round $round build $b"
    FLATMINIMA_NO_BUILD=1 $root/bench/gemm.sh $args 2>&1 | grep -E '^\| (vector|native)|results:'
  done
done
