"""Generates test/fixtures/drift/*.json: drift statistics under Evidently's conventions, with
values from NumPy / SciPy.

Evidently's conventions (binning, empty-bin fill, category alignment, z-test coding, default-test
choice) are re-expressed here on top of numpy/scipy/pandas so the fixtures do not depend on
Evidently itself; the TypeScript tests compare against these numbers.

Run: scripts/reference/setup.sh && scripts/reference/.venv/bin/python scripts/reference/gen_drift.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special, stats
from scipy.spatial import distance

OUT = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "drift"
RNG = np.random.default_rng(20240611)

EMPTY_BIN_SHARE = 0.0001
NUMERICAL_BINNING_MIN_UNIQUE = 20


# ---------------------------------------------------------------- JSON helpers


def encode(value):
    """JSON has no NaN/Infinity: encode them as strings the TS tests decode."""
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    return value


def write(name: str, payload) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(encode(payload), separators=(",", ":")) + "\n")
    print(f"wrote {path.relative_to(OUT.parents[2])} ({path.stat().st_size} bytes)")


# ---------------------------------------------------------------- Evidently's conventions


def fill_empty(shares: np.ndarray) -> np.ndarray:
    """Zero shares become 0.0001, or smallest non-zero share / 1e6 if that is itself <= 0.0001."""
    out = shares.astype(float).copy()
    nonzero = out[out != 0]
    if nonzero.size == 0:
        return out
    smallest = nonzero.min()
    out[out == 0] = smallest / 1e6 if smallest <= EMPTY_BIN_SHARE else EMPTY_BIN_SHARE
    return out


def observed_keys(ref: pd.Series, cur: pd.Series) -> list:
    return list(set(ref.unique()) | set(cur.unique()))


def category_shares(ref: pd.Series, cur: pd.Series):
    keys = observed_keys(ref, cur)
    ref_counts = ref.value_counts()
    cur_counts = cur.value_counts()
    ref_shares = np.array([ref_counts.get(k, 0) / len(ref) for k in keys], dtype=float)
    cur_shares = np.array([cur_counts.get(k, 0) / len(cur) for k in keys], dtype=float)
    return ref_shares, cur_shares


def raw_shares(ref: pd.Series, cur: pd.Series, column_type: str, fill: bool):
    """Numerical with > 20 reference uniques: sturges edges over ref+cur; otherwise per value."""
    if column_type == "numerical" and ref.nunique() > NUMERICAL_BINNING_MIN_UNIQUE:
        edges = np.histogram_bin_edges(np.concatenate([ref.to_numpy(), cur.to_numpy()]), bins="sturges")
        ref_shares = np.histogram(ref.to_numpy(), edges)[0] / len(ref)
        cur_shares = np.histogram(cur.to_numpy(), edges)[0] / len(cur)
    else:
        ref_shares, cur_shares = category_shares(ref, cur)
    if fill:
        ref_shares, cur_shares = fill_empty(ref_shares), fill_empty(cur_shares)
    return ref_shares, cur_shares


def psi_from(ref_shares, cur_shares) -> float:
    return float(np.sum((ref_shares - cur_shares) * np.log(ref_shares / cur_shares)))


def hellinger_raw(ref: pd.Series, cur: pd.Series, column_type: str) -> float:
    if column_type == "categorical":
        ref_shares, cur_shares = category_shares(ref, cur)
        coefficient = float(np.sum(np.sqrt(ref_shares * cur_shares)))
    else:
        # Edges from the distinct values only; densities integrated with the mean bin width.
        edges = np.histogram_bin_edges(observed_keys(ref, cur), bins="sturges")
        h1 = np.histogram(ref.to_numpy(), bins=edges, density=True)[0]
        h2 = np.histogram(cur.to_numpy(), bins=edges, density=True)[0]
        width = (edges.max() - edges.min()) / (len(edges) - 1)
        coefficient = float(sum(math.sqrt(a * b) * width for a, b in zip(h1, h2)))
    return math.sqrt(1 - min(1.0, max(0.0, coefficient)))


def wasserstein_raw(ref: pd.Series, cur: pd.Series) -> float:
    norm = max(float(np.std(ref.to_numpy())), 0.001)
    return float(stats.wasserstein_distance(ref.to_numpy(), cur.to_numpy()) / norm)


def chisquare_counts(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """scipy.stats.chisquare(current, reference * n_cur / n_ref) over observed categories."""
    keep = (ref_counts > 0) | (cur_counts > 0)
    ref_counts, cur_counts = ref_counts[keep].astype(float), cur_counts[keep].astype(float)
    expected = ref_counts * (cur_counts.sum() / ref_counts.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(stats.chisquare(cur_counts, expected)[1])


def chisquare_raw(ref: pd.Series, cur: pd.Series) -> float:
    keys = observed_keys(ref, cur)
    rc, cc = ref.value_counts(), cur.value_counts()
    return chisquare_counts(
        np.array([rc.get(k, 0) for k in keys]), np.array([cc.get(k, 0) for k in keys])
    )


def z_counts(ref_first: int, ref_n: int, cur_first: int, cur_n: int) -> float:
    """First sorted category coded 0, everything else 1; pooled two-proportion z, 2(1 - Φ(|z|))."""
    p1 = (ref_n - ref_first) / ref_n
    p2 = (cur_n - cur_first) / cur_n
    pooled = (p1 * ref_n + p2 * cur_n) / (ref_n + cur_n)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / ref_n + 1.0 / cur_n))
    return float(2 * (1 - stats.norm.cdf(abs(z))))


def z_raw(ref: pd.Series, cur: pd.Series) -> float:
    if ref.nunique() == 1 and cur.nunique() == 1 and ref.unique()[0] == cur.unique()[0]:
        return 1.0
    first = sorted(observed_keys(ref, cur))[0]
    return z_counts(int((ref == first).sum()), len(ref), int((cur == first).sum()), len(cur))


def default_test(column_type: str, n_unique: int, reference_size: int) -> str:
    few = column_type == "categorical" or n_unique <= 5
    if reference_size <= 1000:
        if not few:
            return "ks"
        return "chisquare" if n_unique > 2 else "z"
    return "jensenshannon" if few else "wasserstein"


THRESHOLDS = {"psi": 0.1, "kl_div": 0.1, "jensenshannon": 0.1, "hellinger": 0.1, "wasserstein": 0.1,
              "chisquare": 0.05, "z": 0.05, "ks": 0.05}


def is_drift(test: str, value: float, threshold: float) -> bool:
    if test == "ks":
        return value <= threshold
    if test in ("chisquare", "z"):
        return value < threshold
    return value >= threshold


# ---------------------------------------------------------------- raw-sample cases


def num(values, decimals=4):
    return [round(float(v), decimals) for v in values]


def repeated(pairs):
    """A categorical sample written compactly as [[value, count], ...] and its expansion."""
    pairs = list(pairs)
    return {"repeat": [[v, int(c)] for v, c in pairs]}, [v for v, c in pairs for _ in range(int(c))]


def raw_case(name, column_type, reference, current, note, ref_spec=None, cur_spec=None):
    ref, cur = pd.Series(reference), pd.Series(current)
    n_unique = int(pd.concat([ref, cur]).nunique())
    expected = {
        "psi": psi_from(*raw_shares(ref, cur, column_type, True)),
        "kl_div": float(stats.entropy(*raw_shares(ref, cur, column_type, True))),
        "jensenshannon": float(distance.jensenshannon(*raw_shares(ref, cur, column_type, False))),
        "hellinger": hellinger_raw(ref, cur, column_type),
    }
    if column_type == "numerical":
        expected["wasserstein"] = wasserstein_raw(ref, cur)
        ks = stats.ks_2samp(ref.to_numpy(), cur.to_numpy())
        expected["ks"] = float(ks.pvalue)
        expected["ks_statistic"] = float(ks.statistic)
    if column_type == "categorical" or n_unique <= NUMERICAL_BINNING_MIN_UNIQUE:
        expected["chisquare"] = chisquare_raw(ref, cur)
        expected["z"] = z_raw(ref, cur)
    test = default_test(column_type, n_unique, len(ref))
    value = expected[test]
    threshold = THRESHOLDS[test]
    return {
        "name": name,
        "note": note,
        "columnType": column_type,
        "reference": ref_spec if ref_spec is not None else list(reference),
        "current": cur_spec if cur_spec is not None else list(current),
        "nUnique": n_unique,
        "referenceSize": len(ref),
        "expected": expected,
        "default": {"statistic": test, "value": value, "threshold": threshold,
                    "drifted": is_drift(test, value, threshold)},
    }


def raw_cases():
    cases = []
    n = RNG.normal
    cases.append(raw_case("normal_shift_large", "numerical", num(n(0, 1, 3000)), num(n(0.3, 1, 2000)),
                          "reference > 1000, many uniques: wasserstein by default"))
    cases.append(raw_case("normal_same_small", "numerical", num(n(0, 1, 200)), num(n(0, 1, 150)),
                          "same distribution, small: ks by default"))
    cases.append(raw_case("normal_scale_small", "numerical", num(n(0, 1, 500)), num(n(0, 2, 500)),
                          "variance change only"))
    cases.append(raw_case("tiny_numeric", "numerical", [1.5, 2.25, 3.0, 4.75, 8.0], [2.0, 2.25, 9.5, 10.0],
                          "tiny samples: under 20 reference uniques, compared value by value"))
    cases.append(raw_case("single_values", "numerical", [3.0], [4.0], "one observation each"))
    cases.append(raw_case("poisson_ties", "numerical", [float(v) for v in RNG.poisson(3, 800)],
                          [float(v) for v in RNG.poisson(4, 600)], "integer data with many ties"))
    cases.append(raw_case("rounded_normal_ties", "numerical", num(n(0, 1, 1500), 1), num(n(0.2, 1, 1200), 1),
                          "ties after rounding, > 20 uniques: sturges bins"))
    cases.append(raw_case("constant_same", "numerical", [5.0] * 100, [5.0] * 50,
                          "constant column, same value: z-test p = 1, wasserstein norm floored"))
    cases.append(raw_case("constant_different", "numerical", [1.0] * 100, [2.0] * 100,
                          "two different constants"))
    cases.append(raw_case("disjoint_numeric", "numerical", num(RNG.uniform(0, 1, 300)),
                          num(RNG.uniform(5, 6, 300)), "disjoint supports: empty middle bins get epsilon"))
    cases.append(raw_case("disjoint_categories", "categorical", ["a", "b"] * 30, ["c", "d", "d"] * 20,
                          "no category in common"))
    cases.append(raw_case("unseen_category", "categorical", list(RNG.choice(["a", "b", "c"], 400)),
                          list(RNG.choice(["a", "b", "c", "d"], 300)), "current has a category never seen"))
    cases.append(raw_case("vanished_category", "categorical", list(RNG.choice(["a", "b", "c", "d"], 400)),
                          list(RNG.choice(["a", "b"], 300)), "reference categories absent from current"))
    probs = [0.3, 0.25, 0.2, 0.15, 0.07, 0.03]
    cats = ["c0", "c1", "c2", "c3", "c4", "c5"]
    for name, cur_probs in [("categorical_large_same", probs), ("categorical_large_shift", [0.2, 0.2, 0.2, 0.2, 0.1, 0.1])]:
        rc = RNG.multinomial(5000, probs)
        cc = RNG.multinomial(4000, cur_probs)
        ref_spec, ref_vals = repeated(zip(cats, rc))
        cur_spec, cur_vals = repeated(zip(cats, cc))
        cases.append(raw_case(name, "categorical", ref_vals, cur_vals, "reference > 1000: jensenshannon",
                              ref_spec, cur_spec))
    cases.append(raw_case("binary_small_shift", "categorical", list(np.where(RNG.random(300) < 0.3, "yes", "no")),
                          list(np.where(RNG.random(200) < 0.45, "yes", "no")), "binary: z-test by default"))
    cases.append(raw_case("binary_single_same", "categorical", ["x"] * 40, ["x"] * 25,
                          "one category on both sides: z p = 1"))
    cases.append(raw_case("numeric_four_values_small", "numerical", [float(v) for v in RNG.integers(1, 5, 400)],
                          [float(v) for v in RNG.choice([1, 2, 3, 4], 300, p=[0.1, 0.2, 0.3, 0.4])],
                          "numerical with <= 5 uniques and small reference: chisquare"))
    cases.append(raw_case("numeric_three_values_large", "numerical", [float(v) for v in RNG.integers(0, 3, 2000)],
                          [float(v) for v in RNG.integers(0, 3, 1500)],
                          "numerical with <= 5 uniques and large reference: jensenshannon"))
    cases.append(raw_case("numeric_binary_small", "numerical", [float(v) for v in RNG.integers(0, 2, 500)],
                          [float(v) for v in (RNG.random(400) < 0.6)], "numerical 0/1: z-test"))
    heavy_ref = num(RNG.lognormal(0, 1.2, 12000), 3)
    heavy_cur = num(RNG.lognormal(0.1, 1.2, 11000), 3)
    cases.append(raw_case("heavy_tail_tiny_shares", "numerical", heavy_ref, heavy_cur,
                          "shares <= 0.0001 exist, so empty bins get smallest/1e6"))
    rare_ref_spec, rare_ref = repeated([("common", 19999), ("rare", 1)])
    rare_cur_spec, rare_cur = repeated([("common", 15000), ("other", 3)])
    cases.append(raw_case("rare_categories", "categorical", rare_ref, rare_cur,
                          "a share of 1/20000 triggers the smallest/1e6 fill", rare_ref_spec, rare_cur_spec))
    cases.append(raw_case("integer_wide_range", "numerical", [float(v) for v in RNG.integers(0, 101, 2000)],
                          [float(v) for v in RNG.integers(10, 111, 1800)], "integers 0..110, sturges bins"))
    twenty = [float(v) for v in range(20)]
    cases.append(raw_case("exactly_20_uniques", "numerical", twenty * 5, [v + 0.5 for v in twenty] * 4,
                          "20 reference uniques: value-by-value, not binned"))
    cases.append(raw_case("exactly_21_uniques", "numerical", [float(v) for v in range(21)] * 5,
                          [v + 0.5 for v in range(21)] * 4, "21 reference uniques: sturges bins"))
    cases.append(raw_case("reference_1000", "numerical", num(n(0, 1, 1000)), num(n(0.1, 1, 800)),
                          "reference of exactly 1000 is still small: ks"))
    cases.append(raw_case("reference_1001", "numerical", num(n(0, 1, 1001)), num(n(0.1, 1, 800)),
                          "reference of 1001 is large: wasserstein"))
    cases.append(raw_case("negative_values_ties_across", "numerical", num(n(-50, 10, 700), 0),
                          num(n(-45, 10, 700), 0), "negative values; the same integers on both sides"))
    return cases


# ---------------------------------------------------------------- binned (streaming) cases


def binned_case(name, reference, current, bin_values, note, categorical=False):
    rc, cc = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    rs, cs = rc / rc.sum(), cc / cc.sum()
    rf, cf = fill_empty(rs), fill_empty(cs)
    bc = float(np.sum(np.sqrt(rs * cs)))
    expected = {
        "psi": psi_from(rf, cf),
        "kl_div": float(stats.entropy(rf, cf)),
        "jensenshannon": float(distance.jensenshannon(rs, cs)),
        "hellinger": math.sqrt(1 - min(1.0, max(0.0, bc))),
        "chisquare": chisquare_counts(rc, cc),
    }
    if bin_values is not None:
        bv = np.asarray(bin_values, dtype=float)
        norm = max(math.sqrt(np.average((bv - np.average(bv, weights=rc)) ** 2, weights=rc)), 0.001)
        expected["wasserstein"] = float(stats.wasserstein_distance(bv, bv, rc, cc) / norm)
        ks = stats.ks_2samp(np.repeat(bv, rc.astype(int)), np.repeat(bv, cc.astype(int)))
        expected["ks"] = float(ks.pvalue)
    if categorical:
        observed = np.flatnonzero((rc > 0) | (cc > 0))
        if len(np.flatnonzero(rc)) == 1 and len(np.flatnonzero(cc)) == 1 and np.flatnonzero(rc)[0] == np.flatnonzero(cc)[0]:
            expected["z"] = 1.0
        else:
            first = observed[0]
            expected["z"] = z_counts(int(rc[first]), int(rc.sum()), int(cc[first]), int(cc.sum()))
    return {"name": name, "note": note, "reference": list(reference), "current": list(current),
            "binValues": None if bin_values is None else list(bin_values), "expected": expected}


def binned_cases():
    cases = []
    edges = np.linspace(-3, 3, 21)
    mids = list((edges[:-1] + edges[1:]) / 2)
    # Underflow/overflow bins sit at the outer edges; missing values are not part of drift.
    values = [-3.0] + mids + [3.0]

    def fixed(sample):
        counts = [int((sample < -3).sum())]
        inside = sample[(sample >= -3) & (sample <= 3)]
        counts += [int(c) for c in np.histogram(inside, edges)[0]]
        counts.append(int((sample > 3).sum()))
        return counts

    ref = RNG.normal(0, 1, 5000)
    cases.append(binned_case("fixed_edges_same", fixed(ref), fixed(RNG.normal(0, 1, 3000)), values,
                             "20 fixed bins + underflow/overflow, same distribution"))
    cases.append(binned_case("fixed_edges_shift", fixed(ref), fixed(RNG.normal(0.5, 1.3, 3000)), values,
                             "shifted and wider: overflow bins fill"))
    cases.append(binned_case("fixed_edges_empty_bins", fixed(RNG.normal(0, 0.3, 400)), fixed(RNG.normal(1.5, 0.3, 300)),
                             values, "many bins empty on one or both sides"))
    cases.append(binned_case("disjoint_bins", [10, 20, 0, 0], [0, 0, 5, 15], [0.5, 1.5, 2.5, 3.5],
                             "no bin in common"))
    cases.append(binned_case("tiny_shares", [1_000_000, 50, 0, 3], [900_000, 0, 7, 0], [1.0, 2.0, 3.0, 4.0],
                             "smallest shares below 0.0001: fill with smallest/1e6"))
    cases.append(binned_case("categorical_unseen", [40, 30, 30, 0], [35, 30, 20, 15], None,
                             "category 3 unseen in reference: chisquare p = 0", categorical=True))
    cases.append(binned_case("categorical_empty_both", [0, 40, 0, 60], [0, 55, 0, 45], None,
                             "categories empty on both sides are not categories", categorical=True))
    cases.append(binned_case("binary_counts", [700, 300], [520, 480], None, "binary counts", categorical=True))
    cases.append(binned_case("binary_same_single", [0, 80], [0, 20], None, "one category both sides: z p = 1",
                             categorical=True))
    cases.append(binned_case("three_categories_z", [50, 30, 20], [30, 40, 30], None,
                             "z-test codes the first category against all others", categorical=True))
    return cases


# ---------------------------------------------------------------- numpy histogram edges


def histogram_cases():
    samples = [
        ("normal_1000", list(num(RNG.normal(0, 1, 1000)))),
        ("uniform_37", list(num(RNG.uniform(-5, 5, 37), 6))),
        ("constant", [2.5] * 10),
        ("single", [7.0]),
        ("two_values", [0.0, 1.0]),
        ("powers_of_two_size", list(num(RNG.normal(100, 15, 1024), 2))),
        ("tiny_range", [1.0, 1.0 + 1e-9, 1.0 + 2e-9, 1.0 + 5e-9]),
        ("negative_wide", list(num(RNG.uniform(-1e6, -1e3, 333), 1))),
    ]
    out = []
    for name, values in samples:
        edges = np.histogram_bin_edges(np.asarray(values, dtype=float), bins="sturges")
        out.append({"name": name, "values": values, "integerValued": False, "edges": list(edges),
                    "counts": list(np.histogram(np.asarray(values), edges)[0])})
    ints = [int(v) for v in RNG.integers(0, 3, 20000)] + [30]
    edges = np.histogram_bin_edges(np.asarray(ints, dtype=np.int64), bins="sturges")
    out.append({"name": "integer_dtype_width_floor", "values": ints, "integerValued": True, "edges": list(edges),
                "counts": list(np.histogram(np.asarray(ints), edges)[0])})
    return out


# ---------------------------------------------------------------- special functions


def special_function_cases():
    gamma_a = [0.5, 1.0, 1.5, 2.5, 3.0, 7.5, 10.0, 24.5, 50.0, 199.5]
    gamma_x = [1e-6, 0.01, 0.3, 1.0, 2.0, 5.0, 9.5, 20.0, 60.0, 150.0, 400.0]
    incomplete = [{"a": a, "x": x, "p": float(special.gammainc(a, x)), "q": float(special.gammaincc(a, x))}
                  for a in gamma_a for x in gamma_x]
    log_gamma = [{"x": x, "value": float(special.gammaln(x))}
                 for x in [1e-8, 0.1, 0.5, 1.5, 2.5, 3.7, 9.99, 10.0, 33.3, 171.5, 1e4, 1e7]]
    normal = [{"x": x, "cdf": float(stats.norm.cdf(x)), "sf": float(stats.norm.sf(x))}
              for x in [-38.0, -12.0, -6.5, -3.0, -1.96, -0.5, -1e-8, 0.0, 1e-8, 0.3, 1.0, 1.644853626951,
                        2.5, 5.0, 8.3, 15.0, 30.0]]
    erfc = [{"x": x, "value": float(special.erfc(x))} for x in [-3.0, -0.7, 0.0, 0.1, 0.9, 2.0, 4.5, 10.0, 26.0]]
    chi2 = [{"x": x, "df": df, "sf": float(stats.chi2.sf(x, df)), "cdf": float(stats.chi2.cdf(x, df))}
            for df in [1, 2, 3, 5, 9, 19, 49, 120] for x in [1e-5, 0.2, 1.0, 3.84, 7.5, 16.0, 40.0, 90.0, 300.0]]
    return {"logGamma": log_gamma, "incompleteGamma": incomplete, "normal": normal, "erfc": erfc,
            "chiSquare": chi2}


def main() -> None:
    write("special-functions.json", special_function_cases())
    write("histogram-edges.json", histogram_cases())
    write("raw-cases.json", raw_cases())
    write("binned-cases.json", binned_cases())


if __name__ == "__main__":
    main()
