"""Writes test/fixtures/ks/ks_2samp.json: scipy.stats.ks_2samp (two-sided) on cases that
cover ties, exact and asymptotic regimes, unequal sizes, identical and disjoint samples.

Run: scripts/reference/.venv/bin/python scripts/reference/gen_ks.py
"""
import json
import pathlib
import warnings

import numpy as np
import scipy
from scipy import stats

OUT = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "ks" / "ks_2samp.json"


def rounded(a, decimals=6):
    # Fixtures store the rounded values and SciPy sees exactly those, so both sides agree.
    return [float(v) for v in np.round(np.asarray(a, dtype=float), decimals)]


def main():
    rng = np.random.default_rng(20240611)
    cases = []

    def add(name, x, y, method="auto"):
        x = [float(v) for v in x]
        y = [float(v) for v in y]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ks_2samp(x, y, method=method)
        cases.append(
            {
                "name": name,
                "method": method,
                "x": x,
                "y": y,
                "statistic": float(res.statistic),
                "pValue": float(res.pvalue),
            }
        )

    add("tiny equal sizes", rounded(rng.normal(0, 1, 5)), rounded(rng.normal(0.5, 1, 5)))
    add("small equal sizes shifted", rounded(rng.normal(0, 1, 30)), rounded(rng.normal(1, 1, 30)))
    add("small unequal sizes", rounded(rng.normal(0, 1, 20)), rounded(rng.normal(0.3, 1.5, 35)))
    add("coprime sizes", rounded(rng.uniform(0, 1, 17)), rounded(rng.uniform(0.2, 1.2, 23)))
    add("heavy ties integers", rng.integers(0, 4, 40).tolist(), rng.integers(0, 5, 60).tolist())
    add("binary values", rng.integers(0, 2, 50).tolist(), rng.integers(0, 2, 70).tolist())
    same = rounded(rng.normal(0, 1, 25))
    add("identical samples", same, same)
    add("disjoint supports", rounded(rng.uniform(0, 1, 12)), rounded(rng.uniform(2, 3, 15)))
    add("disjoint supports reversed", rounded(rng.uniform(5, 6, 40)), rounded(rng.uniform(0, 1, 40)))
    add("single observation each", [1.0], [2.0])
    add("one vs many", [0.5], rounded(rng.normal(0, 1, 30)))
    add("medium equal sizes", rounded(rng.normal(0, 1, 300)), rounded(rng.normal(0.1, 1, 300)))
    add("medium unequal sizes", rounded(rng.normal(0, 1, 400), 4), rounded(rng.standard_t(3, 650), 4))
    add("large exact unequal", rng.integers(0, 2000, 3000).tolist(), rng.integers(50, 2000, 2000).tolist())
    add("large auto switches to asymp", rng.integers(0, 5000, 12000).tolist(), rng.integers(0, 5100, 11000).tolist())
    add("asymp with small effective n", rounded(rng.normal(0.4, 1, 60), 4), rounded(rng.normal(0, 1, 10050), 4))
    add("asymp tiny effective n", rounded(rng.normal(2, 1, 8), 4), rounded(rng.normal(0, 1, 10020), 4))
    add("explicit asymp small samples", rounded(rng.normal(0, 1, 30)), rounded(rng.normal(0.8, 1, 40)), "asymp")
    add("explicit asymp no difference", rounded(rng.normal(0, 1, 200)), rounded(rng.normal(0, 1, 250)), "asymp")
    add("explicit asymp large n small d", rng.integers(0, 100000, 3000).tolist(), rng.integers(0, 100000, 2500).tolist(), "asymp")
    add("explicit asymp close small samples", rounded(rng.normal(0, 1, 20)), rounded(rng.normal(0, 1, 25)), "asymp")
    add("explicit asymp close large samples", rng.integers(0, 10**6, 1500).tolist(), rng.integers(0, 10**6, 1600).tolist(), "asymp")
    add("explicit exact", rounded(rng.normal(0, 1, 45)), rounded(rng.normal(0.2, 1, 50)), "exact")
    add("kswin-like window", rng.integers(0, 8, 100).tolist(), rng.integers(0, 2, 100).tolist())

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"scipy": scipy.__version__, "cases": cases}) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
