#!/usr/bin/env bash
# bench/compare.sh: flatminima against PyTorch side by side, in one session (issue 6). Builds
# bench/target/benchmarks.jar when missing or stale, then runs bench/compare.py (Python standard library) which
# alternates our worker (CompareWorker) and the PyTorch worker (bench/peers/torch_worker.py, tuned and untuned)
# case by case, records each worker's peak resident memory per case, and writes
# bench/results/compare-<UTC time>.md and .json.
#
#   bench/compare.sh                      the default set, threads 1 and 2 (about 40 minutes on 2 cores)
#   bench/compare.sh --quick              a smoke test (a few minutes)
#   bench/compare.sh --cases W2:grad,W3 --threads 1 --rounds 3
#   bench/compare.sh --threads 1 --cases W3:train,M4:train,W3:perpoint    training and exact CNN traces
#   bench/compare.sh -h                   every option
#
# Needs a JDK >= 25 (found like ./flatminima does) and /usr/bin/python3 with python3-torch and python3-numpy.
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

if [[ ! -x /usr/bin/python3 ]]; then
    fm_err "compare needs /usr/bin/python3 with PyTorch and numpy: install them with 'apt-get install python3 python3-torch python3-numpy'"
    exit 2
fi
if ! /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1; then
    fm_err "compare needs PyTorch and numpy for /usr/bin/python3: install them with 'apt-get install python3-torch python3-numpy libopenblas0-pthread'"
    exit 2
fi
java=$(fm_find_java) || exit $?
jar=$FM_ROOT/bench/target/benchmarks.jar
FM_BUILD_PROJECTS=bench fm_build_if_stale "$FM_ROOT" "$java" "$jar" || exit $?
exec /usr/bin/python3 "$FM_ROOT/bench/compare.py" --java "$java" "$@"
