#!/usr/bin/env bash
# bench/gemm.sh: runs the JMH GEMM benchmark (GemmBenchmark) on a JDK >= 25 and writes
# bench/results/gemm-<UTC time>.json (JMH's JSON) and .md (a GFLOP/s table).
#
#   bench/gemm.sh                                    the full grid (about 5 minutes with all backends)
#   bench/gemm.sh -p backend=vector,native -p n=1024 a subset; any JMH option works (-wi, -i, -w, -r, -f)
#   bench/gemm.sh -h                                 JMH's options
#
# Backends that cannot run here are skipped with the reason; scalar runs single-threaded with 1 warm-up and
# 3 measured iterations unless -p threads / -wi / -i say otherwise. Builds the jars first when stale.
set -u

src=${BASH_SOURCE[0]}
while [[ -L $src ]]; do
    dir=$(cd -P "$(dirname "$src")" && pwd)
    src=$(readlink "$src")
    [[ $src == /* ]] || src=$dir/$src
done
FM_ROOT=$(cd -P "$(dirname "$src")/.." && pwd)
# shellcheck source=../scripts/flatminima-lib.sh
. "$FM_ROOT/scripts/flatminima-lib.sh"

java=$(fm_find_java) || exit $?
jar=$FM_ROOT/bench/target/benchmarks.jar
FM_BUILD_PROJECTS=bench fm_build_if_stale "$FM_ROOT" "$java" "$jar" || exit $?

results=$FM_ROOT/bench/results
mkdir -p "$results" || exit 1
out=$results/gemm-$(date -u +%Y%m%dT%H%M%SZ).json

fm_run_filtered_all "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    --sun-misc-unsafe-memory-access=allow -cp "$jar" org.flatminima.bench.GemmMain --out "$out" "$@"
exit $?
