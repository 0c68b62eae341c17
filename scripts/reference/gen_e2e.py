"""Generates test/fixtures/e2e/churn-seed7.json: scikit-learn's metrics for every 5-minute
event-time window of the seeded churn scenario the end-to-end test publishes.

The scenario comes from driftwatch's own generator (shared/sim/scenario.ts), written as
JSONL by `driftwatch generate`; this script only reads it and computes, per window of
*prediction* event time [k*300000, (k+1)*300000) (epoch-aligned, the rolling 5-minute
window at an end E that is a multiple of 5 minutes), over the predictions whose label
arrives at all: accuracy, binary precision / recall / F1 (positive class "yes"), macro F1,
and the window's prediction and labelled counts. test/unit/sim/ regenerates the scenario
in TypeScript and checks the counts, so the generator and this fixture cannot drift apart.

Run: scripts/reference/setup.sh && scripts/reference/.venv/bin/python scripts/reference/gen_e2e.py
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

import sklearn
from sklearn import metrics as skm

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "e2e" / "churn-seed7.json"
WINDOW_MS = 300_000
POSITIVE = "yes"

# The shift lasts three full windows and the stream runs on for 700 s of normal data after
# it, long enough for a 5-minute window to be clean again (so alerts can resolve).
SCENARIO = {
    "seed": 7,
    "count": 50_000,
    "events-per-second": 20,
    "shift-at": 18_000,
    "recover-at": 36_000,
    "unlabelled-share": 0.05,
}


def generate(directory: Path) -> None:
    args = ["npx", "tsx", "services/cli/main.ts", "generate", "--format", "jsonl", "--out", str(directory)]
    for key, value in SCENARIO.items():
        args += [f"--{key}", str(value)]
    subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def read_jsonl(path: Path) -> list[dict]:
    with path.open() as f:
        return [json.loads(line) for line in f if line.strip()]


def window_metrics(y_true: list[str], y_pred: list[str]) -> dict:
    if not y_true:
        return {"accuracy": None, "precision": None, "recall": None, "f1": None, "f1_macro": None}
    return {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "precision": float(skm.precision_score(y_true, y_pred, pos_label=POSITIVE, zero_division=0)),
        "recall": float(skm.recall_score(y_true, y_pred, pos_label=POSITIVE, zero_division=0)),
        "f1": float(skm.f1_score(y_true, y_pred, pos_label=POSITIVE, zero_division=0)),
        "f1_macro": float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        generate(directory)
        scenario = json.loads((directory / "scenario.json").read_text())
        predictions = read_jsonl(directory / "predictions.jsonl")
        labels = read_jsonl(directory / "labels.jsonl")

    truth = {label["predictionId"]: label["trueClass"] for label in labels}
    by_window: dict[int, dict] = defaultdict(lambda: {"count": 0, "y_true": [], "y_pred": []})
    for p in predictions:
        w = by_window[p["time"] // WINDOW_MS]
        w["count"] += 1
        if p["id"] in truth:
            w["y_true"].append(truth[p["id"]])
            w["y_pred"].append(p["predictedClass"])

    windows = []
    for k in sorted(by_window):
        w = by_window[k]
        windows.append({
            "start": k * WINDOW_MS,
            "end": (k + 1) * WINDOW_MS,
            "count": w["count"],
            "labelled": len(w["y_true"]),
            **window_metrics(w["y_true"], w["y_pred"]),
        })

    def window_of(time):
        return None if time is None else {"start": time // WINDOW_MS * WINDOW_MS, "end": (time // WINDOW_MS + 1) * WINDOW_MS}

    fixture = {
        "generator": "scripts/reference/gen_e2e.py",
        "sklearn": sklearn.__version__,
        "scenario": scenario["parameters"],
        "windowMs": WINDOW_MS,
        "positiveLabel": POSITIVE,
        "shiftedFeature": "spend",
        "changePointTime": scenario["changePointTime"],
        "changePointWindow": window_of(scenario["changePointTime"]),
        "recoveryTime": scenario["recoveryTime"],
        "recoveryWindow": window_of(scenario["recoveryTime"]),
        "predictions": len(predictions),
        "labels": len(labels),
        "windows": windows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=1, allow_nan=False) + "\n")
    print(f"{len(windows)} windows -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
