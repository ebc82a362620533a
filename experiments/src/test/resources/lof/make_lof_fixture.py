#!/usr/bin/env python3
"""Reference values for LocalOutlierFactorTest: scikit-learn's LocalOutlierFactor on small 2-D data sets.

Regenerate with Debian's python3-sklearn (1.2.1 was used):
    /usr/bin/python3 make_lof_fixture.py > lof_fixture.csv
Each row: data set, n_neighbors, contamination, point index, x, y, negative_outlier_factor_, fit_predict label.
LocalOutlierFactor is called as the authors' code does (margin_flatness/postprocessing/correlation.py,
get_outlier_filter: n_neighbors=10, contamination=0.2, other arguments default), and with n_neighbors=20.
"""
import sys

import numpy as np
import sklearn
from sklearn.neighbors import LocalOutlierFactor


def data_sets():
    rng = np.random.default_rng(20260312)
    sets = {}
    # a Gaussian blob with a few far points
    blob = rng.normal(size=(110, 2))
    far = rng.uniform(-8, 8, size=(10, 2))
    sets["blob"] = np.vstack([blob, far])
    # exact duplicates: 40 points, 20 copies of some, and one point repeated 25 times (more than k)
    base = rng.normal(size=(40, 2))
    copies = base[rng.integers(0, 40, size=20)]
    many = np.repeat(base[:1] + 3.0, 25, axis=0)
    sets["duplicates"] = np.vstack([base, copies, many])
    # (trace, measure)-like pairs: skewed, correlated, on different scales
    t = rng.lognormal(mean=0.0, sigma=1.0, size=150)
    m = 1.0 - np.exp(-t) + 0.05 * rng.normal(size=150)
    sets["skewed"] = np.column_stack([10.0 * t, m])
    # a small set: fewer points than n_neighbors + 1 (sklearn lowers n_neighbors to n - 1)
    sets["small"] = rng.normal(size=(8, 2))
    return sets


def main():
    out = sys.stdout
    out.write("# scikit-learn %s LocalOutlierFactor; make_lof_fixture.py\n" % sklearn.__version__)
    out.write("data,k,contamination,i,x,y,score,label\n")
    for name, x in data_sets().items():
        for k in (10, 20):
            clf = LocalOutlierFactor(n_neighbors=k, contamination=0.2)
            labels = clf.fit_predict(x)
            for i in range(len(x)):
                out.write("%s,%d,0.2,%d,%r,%r,%r,%d\n" % (name, k, i, float(x[i, 0]), float(x[i, 1]),
                                                       float(clf.negative_outlier_factor_[i]), int(labels[i])))


if __name__ == "__main__":
    main()
