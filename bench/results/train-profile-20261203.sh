#!/bin/bash
# JFR profile of one CompareWorker case (issue 17, training step, 2026-12-03): overhead-profile-20261203.sh with
# 30 untimed units instead of 200 calls and its JFR settings in /tmp/ts/prof.jfc (written as that script says).
#   JFR=1 train-profile-20261203.sh JAR WORKLOAD OP BATCH REPS OUT.jfr   (f32, 1 thread)
WARMUP=30 JFC=/tmp/ts/prof.jfc exec "$(dirname "$0")/overhead-profile-20261203.sh" "$@"
