#!/bin/bash
# LeNet (the authors' variant, ReLU on its logits) trained as E3's batch-256 runs are (8,192 points of the embedded
# subset, batch 256, 4 epochs = 128 steps, standardised inputs) at several learning rates and 4 seeds, to look for a
# rate at which it trains in every seed (issue 16, 2026-12-03). `train --standardize` standardises per pixel (E3 used
# `--standardize global`). Output: lenet-lr-probe-20261203.txt.
cd "$(dirname "$0")/../.."
for cfg in "0.36 0" "0.1 0" "0.03 0" "0.05 0.9"; do set -- $cfg
 for seed in 0 1 2 3; do
  out=${TMPDIR:-/tmp}/lenet-lr-probe/r-$1-$2-$seed
  r=$(./flatminima train --arch lenet:1x28x28-10 --limit 8192 --batch-size 256 --epochs 4 --lr $1 --momentum $2 --standardize --seed $seed --threads 2 --out $out --force 2>&1 | grep "^done")
  echo "lr $1 momentum $2 seed $seed: $r"
 done
done
