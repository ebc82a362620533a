"""Unit tests of bench/compare.py's statistics, filter, targets and tables (no workers are started).
Run: /usr/bin/python3 -m unittest discover -s bench/src/test/python   (not part of mvn verify / CI)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", ".."))
import compare  # noqa: E402  (bench/compare.py)


def rec(**variants):
    """An implementation record with the given variants: name -> list of samples, or an error string."""
    return {"variants": {k: ({"samples": v, "check": 1.0} if isinstance(v, list) else {"samples": [], "error": v})
                         for k, v in variants.items()}, "error": None, "reps": 1}


class StatisticsTest(unittest.TestCase):
    def test_summarize(self):
        self.assertEqual(compare.summarize([3.0, 1.0, 2.0, 10.0]),
                         {"min": 1.0, "median": 2.5, "max": 10.0, "n": 4})

    def test_best_variant_takes_smallest_median_and_skips_errors(self):
        name, s = compare.best_variant(rec(a=[5.0, 6.0, 7.0], b=[4.0, 9.0, 9.0], c="broken")["variants"])
        self.assertEqual(name, "a")
        self.assertEqual(s["median"], 6.0)
        name, s = compare.best_variant(rec(a=[5.0], b=[1.0])["variants"], prefer="a")
        self.assertEqual(name, "a")
        name, err = compare.best_variant(rec(only="it failed")["variants"])
        self.assertIsNone(name)
        self.assertIn("it failed", err)

    def test_filter(self):
        flt = compare.parse_filter("W2:grad,W3,GEMM:512")
        w2g = dict(workload="W2", op="grad", dtype="f32", batch=1000)
        self.assertTrue(compare.matches(w2g, flt))
        self.assertFalse(compare.matches(dict(w2g, op="hvp"), flt))
        self.assertTrue(compare.matches(dict(workload="W3", op="hvp10", dtype="f64", batch=256), flt))
        self.assertTrue(compare.matches(dict(workload="GEMM", op="gemm", dtype="f64", n=512), flt))
        self.assertFalse(compare.matches(dict(workload="GEMM", op="gemm", dtype="f64", n=256), flt))
        self.assertTrue(compare.matches(w2g, None))
        self.assertFalse(compare.wants_rss(flt))
        self.assertTrue(compare.wants_rss(compare.parse_filter("rss")))


class TargetsAndTablesTest(unittest.TestCase):
    def run_with(self, cases, rss=None):
        tr = {"threads": 1, "cases": [], "rss": rss}
        for c, impls in cases:
            tr["cases"].append({"key": compare.case_key(c), "case": c, "impls": impls})
        return {"threads": [tr]}

    def test_targets(self):
        g = dict(workload="W2", op="grad", dtype="f32", batch=1000)
        h = dict(g, op="hvp")
        gemm = dict(workload="GEMM", op="gemm", dtype="f32", n=256)
        run = self.run_with([
            (g, {"ours": rec(flatminima=[30.0, 31.0, 32.0]), "tuned": rec(torch=[36.0, 37.0, 38.0])}),
            (h, {"ours": rec(flatminima=[90.0]), "tuned": rec(double_backward=[80.0], functorch=[120.0])}),
            (gemm, {"ours": rec(native=[1.0], vector=[1.5]), "tuned": rec(numpy=[1.0], torch=[1.1])}),
        ], rss={"ours": {"peak_rss_kb": 100}, "tuned": {"peak_rss_kb": 200}})
        rows = {(r["target"], r["case"]): r for r in compare.evaluate_targets(run)}
        self.assertTrue(rows[("GEMM-bound ratio", "W2:grad:f32:1000")]["met"])             # 31 / 37
        r = rows[("GEMM-bound ratio", "W2:hvp:f32:1000")]                                  # 90 / 80
        self.assertFalse(r["met"])
        self.assertIn("1.125", r["value"])
        self.assertFalse(rows[("our hvp / our grad", "W2 f32")]["met"])                     # 90 / 31 = 2.90
        self.assertIn("2.90", rows[("our hvp / our grad", "W2 f32")]["value"])
        self.assertTrue(rows[("GEMM native / numpy throughput", "GEMM:gemm:f32:n=256")]["met"])
        self.assertFalse(rows[("GEMM vector / numpy throughput", "GEMM:gemm:f32:n=256")]["met"])  # 0.667
        self.assertTrue(rows[("peak RSS ours <= peer", "W2 hvp f32, 20 reps")]["met"])

    def test_table_shows_errors_and_ratios(self):
        c = dict(workload="W1", op="hvp", dtype="f64", batch=1000)
        run = self.run_with([(c, {"ours": {"variants": {}, "error": "worker ours exited with code 1", "reps": 0},
                                  "tuned": rec(double_backward=[2.0]), "untuned": rec(double_backward=[4.0])})])
        t = compare.case_table(run["threads"][0], True)
        self.assertIn("error: worker ours exited with code 1", t)
        self.assertIn("2.00 (double_backward) [2.00-2.00]", t)


if __name__ == "__main__":
    unittest.main()
