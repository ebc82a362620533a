#!/usr/bin/env python3
"""Where the second thread goes in a 2-thread JFR recording of one CompareWorker case (issue 17, 2026-12-03).

  python3 w3-threads-profile-20261203.py REC.jfr [--jfr $JAVA_HOME/bin/jfr]

Record with `THREADS=2 JFR=1 overhead-profile-20261203.sh JAR W3 hvp 256 25 REC.jfr` (1 ms sampling). Prints the
samples of each thread, and splits the calling thread's samples inside the timed call (a stack through Autodiff)
into: inside a part of a split kernel (a `Parallel$Job.work` frame: the helper thread can work at the same time),
waiting for the helper (`awaitStarted`), and serial (neither: the helper thread has nothing to do), with the serial
samples by the engine method that called the kernel. JFR does not sample a parked thread, so a thread's sample
count against the wall time of the run is its busy share.
"""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jfr_stacks  # noqa: E402  (this directory)


def caller_op(fr):
    """The first engine frame outside Tensor: the op that called the kernel."""
    for x in fr:
        if x.startswith("org/flatminima/engine/") and "Tensor." not in x:
            return x.split("/")[-1]
    return fr[0].split("/")[-1]


def main():
    st = jfr_stacks.stacks(sys.argv[1], lambda x: True, with_thread=True)
    print("samples per thread:", collections.Counter(t for t, _ in st).most_common(4))
    main_timed = [fr for t, fr in st if t == "main" and any("Autodiff" in x for x in fr)]
    in_part = [fr for fr in main_timed if any("Parallel$Job.work" in x for x in fr)]
    waiting = [fr for fr in main_timed if any("awaitStarted" in x for x in fr)]
    serial = [fr for fr in main_timed if fr not in in_part and fr not in waiting]
    n = max(1, len(main_timed))
    print("calling thread inside the timed calls: %d samples; in parts %.1f%%, waiting %.1f%%, serial %.1f%%"
          % (len(main_timed), 100 * len(in_part) / n, 100 * len(waiting) / n, 100 * len(serial) / n))
    for k, v in collections.Counter(caller_op(fr) for fr in serial).most_common(10):
        print("  serial %5.1f%%  %s" % (100 * v / n, k))


if __name__ == "__main__":
    main()
