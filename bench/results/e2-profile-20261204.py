"""E2 at paper scale under JFR (issue 17, 2026-12-04, late): samples of every thread split by phase (the CNN's
checkpoint measures, the bootstrap correlations, the authors' estimator, training) and their top leaf frames.
    FLATMINIMA_JAVA_OPTS="-XX:StartFlightRecording=filename=e2.jfr,settings=PROFILE.jfc,dumponexit=true" \
      timeout -s INT 200 ./flatminima reproduce --scale full --only E2 --seeds 1 --data mnist --out DIR --arch "seq:1x28x28:..."
    python3 e2-profile-20261204.py e2.jfr [--jfr PATH-TO-jfr]
Worker threads' samples do not show their caller, so kernels run for the exact traces on helper threads land in
"other". Output of the recording of 2026-12-04 22:40-22:43 (the affine model's 13 checkpoints and the CNN's first two):
e2-profile-20261204.txt."""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jfr_stacks  # noqa: E402  (this directory)

samples = jfr_stacks.stacks(sys.argv[1], lambda f: True, with_thread=True)
print("samples", len(samples))
def phase(st):
    s = " ".join(st)
    if "E2FlatnessVsMargins.measure" in s or "PointMeasures" in s: 
        if "ExactTraces" in s or "HessianBackprop" in s or "Curvature" in s: return "measure: exact traces"
        if "inputMargin" in s or "InputMargin" in s or "Margins" in s: return "measure: margins"
        if "Nets.accuracy" in s: return "measure: accuracy"
        return "measure: other"
    if "correlate" in s or "Correlation" in s: return "correlations"
    if "E2Authors" in s or "PerPointHutchinson" in s: return "authors estimator"
    if "Trainer" in s or "train" in s.lower(): return "training"
    return "other"
c = collections.Counter()
byleaf = collections.defaultdict(collections.Counter)
for th, st in samples:
    p = phase(st)
    c[p] += 1
    byleaf[p][st[0].split("/")[-1]] += 1
for k, v in c.most_common():
    print("%6d %5.1f%% %s" % (v, 100*v/len(samples), k))
    for leaf, n in byleaf[k].most_common(8):
        print("        %5.1f%% %s" % (100*n/v, leaf))
