"""Measures River's drift detectors' updates per second on the streams given on stdin
(JSON: {"continuous": [...], "binary": [...]}) and prints {"Detector": updates_per_s} as JSON.

Run by bench/detectors.bench.ts with scripts/reference/.venv/bin/python.
"""
import json
import sys
import time

from river import drift

DETECTORS = {
    "ADWIN": (drift.ADWIN, "continuous"),
    "PageHinkley": (drift.PageHinkley, "continuous"),
    "KSWIN": (lambda: drift.KSWIN(seed=1), "continuous"),
    "DDM": (drift.binary.DDM, "binary"),
    "EDDM": (drift.binary.EDDM, "binary"),
    "HDDM_A": (drift.binary.HDDMA, "binary"),
    "HDDM_W": (drift.binary.HDDMW, "binary"),
}


def rate(make, data, min_seconds):
    det = make()
    for x in data[: min(len(data), 2000)]:  # warm-up
        det.update(x)
    updates = 0
    start = time.perf_counter()
    while True:
        for x in data:
            det.update(x)
        updates += len(data)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return updates / elapsed


def main():
    streams = json.load(sys.stdin)
    min_seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    result = {}
    for name, (make, kind) in DETECTORS.items():
        data = streams[kind]
        if name == "KSWIN":
            data = data[:3000]  # a scipy call per update: a shorter pass keeps the run short
        result[name] = rate(make, data, min_seconds)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
