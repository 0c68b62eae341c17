"""Generates test/fixtures/metrics/*.json: raw inputs plus scikit-learn's metrics on them.

driftwatch computes metrics from mergeable window state (confusion matrix, regression
sums, binned scores); these fixtures pin its values to scikit-learn's. Probabilities are
quantized to the score-bin grid (k / BINS) so the binned ROC AUC is exact, not approximate.
Undefined values (sklearn returns nan or raises) are stored as null.
"""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn import metrics as skm

warnings.filterwarnings("ignore")

BINS = 100
OUT = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "metrics"
rng = np.random.default_rng(20240611)


def num(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def safe(fn):
    try:
        return num(fn())
    except ValueError:
        return None


def quantized_probs(n, k, truth_idx=None, sharpness=2.0):
    """Rows of k probabilities on the grid j / BINS that sum to 1, leaning toward truth."""
    rows = []
    for i in range(n):
        alpha = np.ones(k)
        if truth_idx is not None:
            alpha[truth_idx[i]] += sharpness
        p = rng.dirichlet(alpha)
        units = np.floor(p * BINS).astype(int)
        units[int(np.argmax(p))] += BINS - units.sum()
        rows.append(units)
    return np.array(rows)


def classification_case(name, y_true, y_pred, labels=None, pos_label=None, proba=None,
                        proba_labels=None, note=None):
    """proba: list (per sample) of dict label -> probability, or None for samples without."""
    y_true = [str(v) for v in y_true]
    y_pred = [str(v) for v in y_pred]
    case = {"name": name, "kind": "classification", "y_true": y_true, "y_pred": y_pred,
            "labels": labels, "pos_label": pos_label, "bins": BINS, "proba": proba}
    if note:
        case["note"] = note
    exp = {"count": len(y_true)}
    if len(y_true) == 0:
        try:
            skm.accuracy_score(y_true, y_pred)
        except ValueError as e:
            case["sklearn_error"] = str(e)
        case["expected"] = exp
        return case
    eval_labels = labels if labels is not None else sorted(set(y_true) | set(y_pred))
    exp["labels"] = eval_labels
    exp["accuracy"] = num(skm.accuracy_score(y_true, y_pred))
    exp["balanced_accuracy"] = num(skm.balanced_accuracy_score(y_true, y_pred))
    p, r, f, s = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=eval_labels, average=None, zero_division=0)
    exp["per_class"] = {lab: {"precision": num(p[i]), "recall": num(r[i]), "f1": num(f[i]),
                              "support": int(s[i])} for i, lab in enumerate(eval_labels)}
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=eval_labels, average=avg, zero_division=0)
        exp[avg] = {"precision": num(p), "recall": num(r), "f1": num(f)}
    if pos_label is not None:
        yt = [v == pos_label for v in y_true]
        yp = [v == pos_label for v in y_pred]
        exp["binary"] = {
            "precision": num(skm.precision_score(yt, yp, zero_division=0)),
            "recall": num(skm.recall_score(yt, yp, zero_division=0)),
            "f1": num(skm.f1_score(yt, yp, zero_division=0)),
        }
    if proba is not None:
        exp.update(probability_metrics(y_true, proba, proba_labels, pos_label))
    case["expected"] = exp
    return case


def probability_metrics(y_true, proba, proba_labels, pos_label):
    idx = [i for i, row in enumerate(proba) if row is not None]
    out = {"proba_count": len(idx)}
    if not idx:
        return out
    yt = [y_true[i] for i in idx]
    P = np.array([[proba[i].get(c, 0.0) for c in proba_labels] for i in idx], dtype=float)
    out["log_loss"] = safe(lambda: skm.log_loss(yt, P, labels=proba_labels))
    out["brier"] = safe(lambda: skm.brier_score_loss(yt, P, labels=proba_labels))
    if pos_label is not None:
        col = proba_labels.index(pos_label)
        out["roc_auc"] = safe(lambda: skm.roc_auc_score([v == pos_label for v in yt], P[:, col]))
    if len(proba_labels) > 2:
        present = set(yt)
        out["roc_auc_ovr_macro"] = (
            safe(lambda: skm.roc_auc_score(yt, P, multi_class="ovr", average="macro",
                                           labels=proba_labels))
            if all(c in present for c in proba_labels) else None)
    return out


def to_dicts(units, labels):
    return [{lab: float(u[j]) / BINS for j, lab in enumerate(labels)} for u in units]


def regression_case(name, y_true, y_pred, note=None):
    y_true = [float(v) for v in y_true]
    y_pred = [float(v) for v in y_pred]
    case = {"name": name, "kind": "regression", "y_true": y_true, "y_pred": y_pred}
    if note:
        case["note"] = note
    exp = {"count": len(y_true)}
    if y_true:
        exp["mae"] = num(skm.mean_absolute_error(y_true, y_pred))
        exp["rmse"] = num(skm.root_mean_squared_error(y_true, y_pred))
        exp["mape"] = num(skm.mean_absolute_percentage_error(y_true, y_pred))
        exp["r2"] = num(skm.r2_score(y_true, y_pred))
    case["expected"] = exp
    return case


def histogram_case(name, values, edges):
    arr = np.array([np.nan if v is None else v for v in values], dtype=float)
    missing = int(np.isnan(arr).sum())
    present = arr[~np.isnan(arr)]
    finite = present[np.isfinite(present)]
    counts, _ = np.histogram(present[(present >= edges[0]) & (present <= edges[-1])], bins=edges)
    return {
        "name": name, "kind": "histogram", "edges": edges,
        "values": [None if v is None or (isinstance(v, float) and math.isnan(v)) else
                   ("Infinity" if v == math.inf else "-Infinity" if v == -math.inf else v)
                   for v in values],
        "expected": {
            "bins": [int(c) for c in counts], "underflow": int((present < edges[0]).sum()),
            "overflow": int((present > edges[-1]).sum()), "missing": missing,
            "count": int(finite.size),
            "mean": num(finite.mean()) if finite.size else None,
            "std": num(finite.std()) if finite.size else None,
            "std_sample": num(finite.std(ddof=1)) if finite.size > 1 else None,
        },
    }


def pick(labels, idx):
    return [labels[i] for i in idx]


def noisy_predictions(truth_idx, k, accuracy):
    wrong = rng.random(len(truth_idx)) > accuracy
    other = (truth_idx + rng.integers(1, k, len(truth_idx))) % k
    return np.where(wrong, other, truth_idx)


def build_cases():
    cases = []
    # binary with probabilities and a positive label
    lab = ["no", "yes"]
    t = rng.integers(0, 2, 200)
    u = quantized_probs(200, 2, t)
    cases.append(classification_case("binary_with_proba", pick(lab, t), pick(lab, u.argmax(1)),
                                     pos_label="yes", proba=to_dicts(u, lab), proba_labels=lab))
    # imbalanced binary: 4% positives, a model that rarely says yes
    t = (rng.random(500) < 0.04).astype(int)
    u = quantized_probs(500, 2, t, sharpness=0.7)
    p = (u[:, 1] > 55).astype(int)
    cases.append(classification_case("binary_imbalanced", pick(lab, t), pick(lab, p),
                                     pos_label="yes", proba=to_dicts(u, lab), proba_labels=lab))
    t = rng.integers(0, 2, 60)
    cases.append(classification_case("binary_all_wrong", pick(lab, t), pick(lab, 1 - t),
                                     pos_label="yes"))
    t = rng.integers(0, 2, 40)
    u = np.where(t[:, None] == np.arange(2), BINS, 0)
    cases.append(classification_case("binary_perfect_extreme_proba", pick(lab, t), pick(lab, t),
                                     pos_label="yes", proba=to_dicts(u, lab), proba_labels=lab,
                                     note="probabilities of exactly 0 and 1 exercise clipping"))
    # single class in y_true: AUC undefined, recall of the absent class is zero_division
    u = quantized_probs(30, 2)
    cases.append(classification_case("binary_single_true_class", ["yes"] * 30,
                                     pick(lab, u.argmax(1)), pos_label="yes",
                                     proba=to_dicts(u, lab), proba_labels=lab))
    cases.append(classification_case("single_class_everywhere", ["a"] * 12, ["a"] * 12))
    cases.append(classification_case("single_sample", ["cat"], ["dog"]))
    cases.append(classification_case("empty_window", [], []))
    cases.append(classification_case("empty_window_with_labels", [], [], labels=["a", "b"]))
    # multi-class with probabilities
    lab3 = ["a", "b", "c"]
    t = rng.integers(0, 3, 300)
    u = quantized_probs(300, 3, t)
    cases.append(classification_case("multiclass_with_proba", pick(lab3, t), pick(lab3, u.argmax(1)),
                                     proba=to_dicts(u, lab3), proba_labels=lab3))
    # absent classes listed in labels count in macro averages
    t = rng.integers(0, 3, 150)
    cases.append(classification_case("multiclass_absent_labels", pick(lab3, t),
                                     pick(lab3, noisy_predictions(t, 3, 0.6)),
                                     labels=["a", "b", "c", "d", "e"]))
    cases.append(classification_case("multiclass_labels_subset", pick(lab3, t),
                                     pick(lab3, noisy_predictions(t, 3, 0.6)), labels=["c", "a"]))
    # a class that only ever appears as a prediction
    lab4 = ["a", "b", "c", "ghost"]
    t = rng.integers(0, 3, 120)
    pr = noisy_predictions(t, 3, 0.7)
    pr[rng.random(120) < 0.1] = 3
    cases.append(classification_case("multiclass_predicted_only_class", pick(lab4, t),
                                     pick(lab4, pr)))
    # imbalanced 5 classes with probabilities
    lab5 = ["c0", "c1", "c2", "c3", "c4"]
    t = rng.choice(5, 800, p=[0.6, 0.2, 0.1, 0.07, 0.03])
    u = quantized_probs(800, 5, t, sharpness=1.5)
    cases.append(classification_case("multiclass_imbalanced_with_proba", pick(lab5, t),
                                     pick(lab5, u.argmax(1)), proba=to_dicts(u, lab5),
                                     proba_labels=lab5))
    t = rng.integers(0, 3, 90)
    cases.append(classification_case("multiclass_all_wrong", pick(lab3, t),
                                     pick(lab3, (t + 1) % 3)))
    # labels containing the counter-field separators and escapes
    weird = ["a|b", "c%d", "", "é/ü", "x\\y"]
    t = rng.integers(0, 5, 100)
    u = quantized_probs(100, 5, t)
    cases.append(classification_case("labels_with_separators", pick(weird, t),
                                     pick(weird, u.argmax(1)), proba=to_dicts(u, weird),
                                     proba_labels=sorted(weird)))
    # probability maps that omit the true class (probability 0, clipped to eps)
    t = rng.integers(0, 3, 50)
    u = quantized_probs(50, 3, t)
    rows = to_dicts(u, lab3)
    for i in range(0, 50, 5):
        row = rows[i]
        row[lab3[(t[i] + 1) % 3]] += row.pop(lab3[t[i]])
    cases.append(classification_case("proba_missing_true_class", pick(lab3, t),
                                     pick(lab3, u.argmax(1)), proba=rows, proba_labels=lab3,
                                     note="every 5th probability map lacks the true class"))
    # only some samples carry probabilities
    t = rng.integers(0, 2, 120)
    u = quantized_probs(120, 2, t)
    rows = [row if i % 3 else None for i, row in enumerate(to_dicts(u, lab))]
    cases.append(classification_case("binary_partial_proba", pick(lab, t), pick(lab, u.argmax(1)),
                                     pos_label="yes", proba=rows, proba_labels=lab))
    lab7 = [f"k{i}" for i in range(7)]
    t = rng.integers(0, 7, 1000)
    cases.append(classification_case("multiclass_7_large", pick(lab7, t),
                                     pick(lab7, noisy_predictions(t, 7, 0.45))))

    y = rng.normal(50, 12, 200)
    cases.append(regression_case("regression_basic", y, y + rng.normal(0, 4, 200)))
    y = np.round(rng.normal(0, 3, 100))
    cases.append(regression_case("regression_zeros_in_true", y, y + rng.normal(0, 1, 100),
                                 note="y_true has exact zeros: MAPE divides by float64 eps"))
    y = rng.normal(5, 2, 30)
    cases.append(regression_case("regression_perfect", y, y.copy()))
    cases.append(regression_case("regression_constant_true", [3.0] * 20,
                                 3.0 + rng.normal(0, 1, 20)))
    cases.append(regression_case("regression_constant_true_perfect", [3.0] * 5, [3.0] * 5))
    cases.append(regression_case("regression_single", [2.5], [4.0]))
    cases.append(regression_case("regression_empty", [], []))
    y = rng.normal(1e4, 5, 300)
    cases.append(regression_case("regression_large_offset", y, y + rng.normal(0, 2, 300),
                                 note="small spread on a large mean stresses sum-of-squares"))

    edges = [0.0, 1.0, 2.5, 4.0, 10.0]
    vals = [float(v) for v in rng.normal(3, 3, 300)] + [0.0, 10.0, 2.5, None, math.nan, None]
    cases.append(histogram_case("histogram_basic", vals, edges))
    vals = [float(v) for v in rng.exponential(2, 100)] + [math.inf, -math.inf, None]
    cases.append(histogram_case("histogram_infinities", vals, [0.5, 1.0, 2.0, 3.0]))
    return cases


def rolling_fixture():
    n = 300
    lab3 = ["a", "b", "c"]
    t = rng.integers(0, 3, n)
    u = quantized_probs(n, 3, t)
    pr = u.argmax(1)
    y = rng.normal(10, 3, n)
    y[::17] = 0.0
    yhat = y + rng.normal(0, 1.5, n)
    stream = [{"y_true": lab3[t[i]], "y_pred": lab3[pr[i]],
               "proba": {c: float(u[i][j]) / BINS for j, c in enumerate(lab3)},
               "target": float(y[i]), "estimate": float(yhat[i])} for i in range(n)]
    checkpoints = [0, 1, 4, 9, 37, 99, 150, 299]
    windows = []
    for size in (1, 2, 5, 10, 100):
        for end in checkpoints:
            lo = max(0, end - size + 1)
            items = stream[lo:end + 1]
            yt = [s["y_true"] for s in items]
            yp = [s["y_pred"] for s in items]
            P = np.array([[s["proba"][c] for c in lab3] for s in items])
            exp = {"count": len(items), "accuracy": num(skm.accuracy_score(yt, yp)),
                   "balanced_accuracy": num(skm.balanced_accuracy_score(yt, yp)),
                   "log_loss": num(skm.log_loss(yt, P, labels=lab3)),
                   "brier": num(skm.brier_score_loss(yt, P, labels=lab3))}
            for avg in ("macro", "micro", "weighted"):
                p, r, f, _ = skm.precision_recall_fscore_support(
                    yt, yp, labels=lab3, average=avg, zero_division=0)
                exp[avg] = {"precision": num(p), "recall": num(r), "f1": num(f)}
            exp["roc_auc_ovr_macro"] = (
                num(skm.roc_auc_score(yt, P, multi_class="ovr", labels=lab3))
                if set(yt) == set(lab3) else None)
            ytr = [s["target"] for s in items]
            ypr = [s["estimate"] for s in items]
            exp["mae"] = num(skm.mean_absolute_error(ytr, ypr))
            exp["rmse"] = num(skm.root_mean_squared_error(ytr, ypr))
            exp["mape"] = num(skm.mean_absolute_percentage_error(ytr, ypr))
            exp["r2"] = num(skm.r2_score(ytr, ypr))
            windows.append({"size": size, "end": end, "expected": exp})
    return {"labels": lab3, "bins": BINS, "stream": stream, "windows": windows}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"generator": "scripts/reference/gen_metrics.py", "sklearn": sklearn.__version__,
            "numpy": np.__version__}
    cases = build_cases()
    (OUT / "cases.json").write_text(json.dumps({**meta, "cases": cases}, allow_nan=False) + "\n")
    (OUT / "rolling.json").write_text(
        json.dumps({**meta, **rolling_fixture()}, allow_nan=False) + "\n")
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
