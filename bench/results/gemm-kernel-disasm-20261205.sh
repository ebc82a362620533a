#!/usr/bin/env bash
# The vector GEMM's micro-kernel as C2 compiles it (see gemm-kernel-disasm-20261205.java). Needs objdump
# (binutils) and the kernels jar (mvn -o -q install -DskipTests -pl native,kernels). Without a disassembler
# plugin (hsdis) the JVM prints the code as bytes, which this script disassembles itself.
#
#   bench/results/gemm-kernel-disasm-20261205.sh                      # FloatGemm::kernel7
#   bench/results/gemm-kernel-disasm-20261205.sh kernel -XX:UseAVX=2  # the 256-bit tile
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
java=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
method=${1:-kernel7}
shift || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED "$@" \
    -XX:+UnlockDiagnosticVMOptions "-XX:CompileCommand=print,org.flatminima.kernels.vector.FloatGemm::$method" \
    -cp "$root/kernels/target/flatminima-kernels-0.1.0-SNAPSHOT.jar" "$here/gemm-kernel-disasm-20261205.java" \
    > "$work/print.txt" 2>/dev/null
python3 - "$work/print.txt" "$method" "$work/code.bin" <<'PY'
import re, sys
text = open(sys.argv[1]).read().splitlines()
starts = [i for i, l in enumerate(text) if re.match(r'Compiled method \(c2\).*::%s \(' % re.escape(sys.argv[2]), l)]
if not starts:
    sys.exit("no C2 compilation of %s in the JVM's output" % sys.argv[2])
code = bytearray()
for line in text[starts[-1] + 1:]:
    if line.startswith('Compiled method'):
        break
    m = re.match(r'\s*0x[0-9a-f]+: ((?:[0-9a-f]{2,8}\s*\|?\s*)+)$', line)
    if m:
        code += bytes.fromhex(re.sub(r'[\s|]', '', m.group(1)))
open(sys.argv[3], 'wb').write(code)
PY
objdump -D -b binary -mi386:x86-64 -M intel "$work/code.bin" | cut -f1,3 | grep -v '^\s*[0-9a-f]*:\s*$' > "$work/code.s"
# the hot loop: from the first FMA's block back to its loop head, to the backward branch after the last FMA
first=$(grep -n vfmadd "$work/code.s" | head -1 | cut -d: -f1)
last=$(grep -n vfmadd "$work/code.s" | tail -1 | cut -d: -f1)
echo "FloatGemm::$method, C2: $(grep -c vfmadd "$work/code.s") FMAs; in the FMA block, loads/stores of vectors on the stack:" \
    "$(sed -n "${first},${last}p" "$work/code.s" | grep -c 'MMWORD PTR \[rsp')"
sed -n "$((first - 12)),$((last + 3))p" "$work/code.s"
