#!/usr/bin/env python3
"""Attribution of a JFR recording of one CompareWorker case (issue 17, training step, 2026-12-03;
adapted from overhead-profile-20261203.py: samples inside Training.run, optimiser categories first).

  python3 overhead-profile-20261203.py REC.jfr [--jfr $JAVA_HOME/bin/jfr]

Reads jdk.ExecutionSample and jdk.NativeMethodSample stacks (depth 64) of the worker's thread, prints the top
self frames, then assigns each sample inside the timed call (a stack through Training.run) to the first category
that matches walking from the leaf to the root. JFR attributes time inside an FFM downcall to the calling
compiled Java frame, so OpenBLAS's time shows as self time of TensorOps.gemm2d (or a DowncallStub), and the C
fill kernel of a zeroed allocation as self time of the method that allocated (TensorOps.matmul, Tensor.to,
EmbedMany.forward before the change): those leaf frames count as "zero fill".
"""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jfr_stacks  # noqa: E402  (this directory)

RULES = [
    ("loss (cross-entropy, log-softmax)", lambda f: "rossEntropy" in f or "oftmax" in f),
    ("GEMM (OpenBLAS via FFM)", lambda f: f.endswith("gemm2d") or "OpenBlas.sgemm" in f or f.endswith(".gemm")),
    ("flat-vector assembly (copy)", lambda f: "copyRowsInto" in f or "embedRowsMany" in f or "EmbedMany.forward" in f),
    ("strided copy (contiguous/to)", lambda f: f.endswith("Tensor.to") or f.endswith("Tensor.contiguous")),
    ("zero fill", lambda f: f.endswith("Tensor.zeros") or ".fill" in f),
    ("elementwise (unary/binary)", lambda f: f.endswith(("TensorOps.binary", "TensorOps.unary",
                                                          "CheckedBackend.binary", "CheckedBackend.unary"))),
    ("reductions, softmax, cross-entropy", lambda f: "TensorOps.reduce" in f or "TensorOps.sum" in f
        or "rossEntropy" in f or "oftmax" in f or "sumTo" in f),
    ("scope/pool allocation", lambda f: "Scope." in f or "BufferPool" in f or "Storage.<init>" in f),
    ("Tensor views/creation", lambda f: f.startswith("org/flatminima/engine/Tensor.")),
    ("autodiff bookkeeping (Trace, Var, Level, rules)", lambda f: "/autodiff/" in f),
    ("model code (nn)", lambda f: "/nn/" in f),
    ("other TensorOps", lambda f: "TensorOps" in f),
]
PHASES = [
    ("optimiser step (Optimizer.stepInPlace)", lambda f: "/optim/" in f),
    ("backward (Trace.backward)", lambda f: "Trace.backward" in f or "pullback" in f.lower()),
    ("forward + loss (valueAndGrad)", lambda f: "Autodiff.valueAndGrad" in f),
]
ZERO_FILL_LEAVES = ("TensorOps.matmul", "Tensor.to", "EmbedMany.forward")


def main():
    stacks = jfr_stacks.stacks(sys.argv[1], lambda x: "CompareWorker" in x)
    jfr_stacks.print_top_self(stacks)
    cats = collections.Counter()
    inside = [fr for fr in stacks if any("Training.run" in x for x in fr)]
    phases = collections.Counter()
    for fr in inside:
        phase = next((p for p, m in PHASES if any(m(x) for x in fr)), "other")
        phases[phase] += 1
        if phase == "optimiser step (Optimizer.stepInPlace)":
            cats["optimiser: " + next((c for c, p in RULES if any(p(x) for x in fr[:3])), "other")] += 1
            continue
        if fr[0].endswith(ZERO_FILL_LEAVES):
            cats["zero fill"] += 1
            continue
        for f in fr:
            hit = next((c for c, p in RULES if p(f)), None)
            if hit:
                cats[hit] += 1
                break
        else:
            cats["other"] += 1
    print("--- by category, percent of %d samples inside the timed call (%d outside)"
          % (len(inside), len(stacks) - len(inside)))
    for k, v in cats.most_common():
        print("%5.1f%%  %s" % (100 * v / len(inside), k))
    print("--- by phase (a sample's phase: the first of these its stack passes through)")
    for k, v in phases.most_common():
        print("%5.1f%%  %s" % (100 * v / len(inside), k))
    print("--- callers of the top self frames (3 frames)")
    callers = collections.Counter(" < ".join(fr[:4]) for fr in inside)
    for k, v in callers.most_common(25):
        print("%5.1f%% %s" % (100 * v / len(inside), k))


if __name__ == "__main__":
    main()
