#!/bin/bash
# Used by issue 17 (2026-12-03, "Where the second core goes"): cpu-split-20261203.sh CMD ARGS... runs CMD and prints
# the machine-wide CPU split over its duration (from /proc/stat): idle near 0 means both cores were busy.
# run "$@", print the CPU split (user, system, idle, steal) over its duration from /proc/stat
a=($(head -1 /proc/stat)); "$@"; b=($(head -1 /proc/stat))
tot=0; for i in 1 2 3 4 5 6 7 8; do d[$i]=$(( ${b[$i]} - ${a[$i]} )); tot=$((tot + d[$i])); done
echo "cpu: user $((100*d[1]/tot))% sys $((100*d[3]/tot))% idle $((100*d[4]/tot))% iowait $((100*d[5]/tot))% steal $((100*d[8]/tot))%"
