"""Attribution of a CompareWorker JFR recording of W3 hvp10 (issue 17, 2026-12-04) to the primitive whose forward
ran and the kind of leaf (OpenBLAS GEMM, a copy, or the leaf frame), batched variant only, then the callers of
the elementwise additions, reductions, ReLU gates and reshape copies (the rules that bound them):

    python3 w3-hvp10-profile-20261204.py REC.jfr [--jfr PATH-TO-jfr]

Output of the recording of 2026-12-04: w3-hvp10-profile-20261204.txt."""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jfr_stacks  # noqa: E402  (this directory)


def primitive(stack):
    """The innermost primitive's forward on the stack, e.g. 'ProductPrimitives$Conv2dBias.forward'."""
    return next((f.split("/")[-1] for f in stack if "Primitives$" in f and f.endswith(".forward")), "?")


def leaf_kind(stack):
    for f in stack:
        if f.endswith(".gemm") or "sgemm" in f or "gemm2d" in f:
            return "gemm"
        if "copyStrided" in f or f.endswith("Tensor.contiguous") or f.endswith(".copy"):
            return "copy"
    return stack[0].split("/")[-1]


def rule_callers(stack):
    """The first three rule or model frames above the primitive's forward (who asked for it)."""
    i = next(i for i, f in enumerate(stack) if f.endswith(".forward") and "Primitives$" in f)
    return tuple([f.split("/")[-1] for f in stack[i + 1:]
                  if ("jvp" in f or "vjp" in f or "/nn/" in f or "Rules" in f or "lambda" in f)
                  and "Trace" not in f][:3])


def main():
    stacks = jfr_stacks.stacks(sys.argv[1], lambda x: "CompareWorker" in x)
    batched = [s for s in stacks if "org/flatminima/bench/compare/CompareWorker.hutchinsonBatched" in s]
    print("batched", len(batched))
    for (p, k), v in collections.Counter((primitive(s), leaf_kind(s)) for s in batched).most_common(40):
        print("%5.1f%% %s" % (100 * v / len(batched), (p, k)))
    print("--- callers of the elementwise additions, reductions, ReLU gates and reshape copies")
    for target in ["ElementwisePrimitives$Add.forward", "ReductionPrimitives$Sum.forward",
                   "ElementwisePrimitives$ReluGate.forward", "ViewPrimitives$Reshape.forward"]:
        c = collections.Counter(rule_callers(s) for s in batched if primitive(s) == target)
        print(target)
        for k, v in c.most_common(6):
            print("   %5.1f%% %s" % (100 * v / len(batched), k))


if __name__ == "__main__":
    main()
