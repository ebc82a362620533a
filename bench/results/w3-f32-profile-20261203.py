#!/usr/bin/env python3
"""Attribution of a JFR recording of W3 (CNN) through CompareWorker by kind of work (issue 17, convf32, 2026-12-03).

  python3 w3-f32-profile-20261203.py REC.jfr [--jfr $JAVA_HOME/bin/jfr]

Record with overhead-profile-20261203.sh (JFR=1, 1 ms sampling). Each sample of the worker thread inside the timed
call (a stack through Autodiff) is assigned to the ImageOps method on its stack (conv forward, input gradient,
weight gradient, max-pool forward / scatter / gather) and, inside a convolution, to GEMM or im2col/col2im by its
leaf; samples with no ImageOps frame go to dense GEMM (TensorOps.gemm2d/matmul without ImageOps), elementwise,
reductions and the rest. JFR attributes time inside an FFM downcall to the calling Java frame.
"""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jfr_stacks  # noqa: E402  (this directory)


def kind(fr):
    conv = None
    for f in fr:
        if "ImageOps." in f:
            conv = f.split("ImageOps.")[1]
            conv = conv if conv.startswith("lambda$") else conv.split("$")[0]
            break
        if "ImageOps$" in f or "ImageOps.lambda" in f:
            continue
    leaf = fr[0]
    if conv is not None:
        if conv.startswith("lambda$"):
            conv = conv.split("$")[1]
        sub = "GEMM" if any(x.endswith(("gemm2d", ".gemm", "sgemm")) or "Gemm" in x for x in fr[:6]) else \
              "im2col/col2im" if any("im2col" in x or "col2im" in x for x in fr[:6]) else "other"
        return conv + " / " + sub
    if any(x.endswith("gemm2d") or x.endswith("matmul") for x in fr):
        return "dense GEMM (linear layers)"
    if any(x.endswith(("TensorOps.binary", "TensorOps.unary")) for x in fr):
        return "elementwise"
    if any("reduce" in x or "oftmax" in x or "rossEntropy" in x for x in fr):
        return "reductions/softmax/CE"
    if any(x.endswith(("Tensor.zeros", "Tensor.to", "Tensor.contiguous")) or ".fill" in x for x in fr):
        return "copies/fills"
    return "other"


def main():
    stacks = jfr_stacks.stacks(sys.argv[1], lambda x: "Autodiff" in x)
    c = collections.Counter(kind(fr) for fr in stacks)
    print("samples inside the timed call:", len(stacks))
    for k, v in c.most_common():
        print("%5.1f%%  %s" % (100 * v / len(stacks), k))
    top = collections.Counter(fr[0] for fr in stacks)
    print("--- top self frames")
    for k, v in top.most_common(12):
        print("%5.1f%%  %s" % (100 * v / len(stacks), k))


if __name__ == "__main__":
    main()
