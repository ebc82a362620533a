#!/usr/bin/env bash
# Manual cross-check of experiments/models against real PyTorch (not part of the build; needs torch and
# safetensors in the Python given as $PYTHON, e.g. a venv made from local wheels). Writes a CNN and a batch-norm
# model with safetensors.torch.save_file, loads them with Weights.load and compares logits with PyTorch's, writes
# them back with Weights.save and checks in PyTorch that load_state_dict(strict=True) accepts them and that the
# files are byte-identical to PyTorch's. Run after `mvn -B -q -pl experiments -am package -DskipTests`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
PYTHON=${PYTHON:-python3}; JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
out=$(mktemp -d)
"$PYTHON" "$here/torch_write.py" "$out" > "$out/torch_out.txt"
"$JAVA" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "$root/experiments/target/flatminima.jar" "$here/XCheck.java" "$out" 2>&1 | grep -v '^WARNING'
"$PYTHON" "$here/torch_read_ours.py" "$out"
