#!/bin/bash
# The Winograd transforms before (0fbcc64) and after the AVX-512 kernels (this checkout), in C alone:
#   bash bench/results/winograd-avx512-probe-20261205.sh > bench/results/winograd-avx512-probe-20261205.txt
# Flags as native/Makefile's x86-64-v3 build.
set -e
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/old"
for f in flatminima.c flatminima.h fm_kernels.inc fm_fewcol.inc fm_pool.inc; do
    git -C "$here" show "0fbcc64:native/src/$f" > "$tmp/old/$f"
done
cc="gcc -O3 -std=c11 -fno-math-errno -march=x86-64-v3"
$cc -DFM_SRC="\"$tmp/old/flatminima.c\"" "$here/bench/results/winograd-avx512-probe-20261205.c" -o "$tmp/before" -lm
$cc -DFM_SRC="\"$here/native/src/flatminima.c\"" "$here/bench/results/winograd-avx512-probe-20261205.c" -o "$tmp/after" -lm
grep -m1 "model name" /proc/cpuinfo
for round in 1 2; do
    echo "before (portable kernels), us:"; "$tmp/before"
    echo "after (AVX-512 where a row of tiles is at most 7), us:"; "$tmp/after"
done
