"""Times River's drift detectors for bench/detectors.bench.ts, which runs it with
scripts/reference/.venv/bin/python and alternates its rounds with the TypeScript ones, so
that other work on the machine weighs on both sides alike.

Protocol, one JSON document per line. The first line in is the setup:
{"streams": {"continuous": [...], "binary": [...]}, "kswin_length": n}. Then each line in is
a request, answered by one line out:

- {"round": name, "seconds": s}: feeds the named stream repeatedly for at least s seconds and
  answers {"wall_ns": ..., "cpu_ns": ...} per update (wall clock, process CPU time). Names:
  a detector ("ADWIN", "DDM", ...) fed through River's public API, one `update` call per
  value; "ADWIN core", the Rust `AdaptiveWindowing.update` the public ADWIN wraps (still one
  Python call per value: Rust cannot be reached otherwise); "floor", the same Python loop
  calling a trivial builtin per value, the cost inside both.
- {"drifts": "ADWIN"}: answers River's ADWIN drift indices on the continuous stream.
"""
import json
import math
import sys
import time

from river import drift
from river._river_rust.drift import AdaptiveWindowing

DETECTORS = {
    "ADWIN": (drift.ADWIN, "continuous"),
    "PageHinkley": (drift.PageHinkley, "continuous"),
    "KSWIN": (lambda: drift.KSWIN(seed=1), "continuous"),
    "DDM": (drift.binary.DDM, "binary"),
    "EDDM": (drift.binary.EDDM, "binary"),
    "HDDM_A": (drift.binary.HDDMA, "binary"),
    "HDDM_W": (drift.binary.HDDMW, "binary"),
}


def public_feed(name, streams, kswin_length):
    make, kind = DETECTORS[name]
    data = streams[kind][:kswin_length] if name == "KSWIN" else streams[kind]
    det = make()

    def feed():
        for x in data:
            det.update(x)

    return feed, len(data)


def core_feed(data):
    # The public update minus its Python wrapper; the wrapper's reset after a detection is
    # kept so the core sees the same windows.
    core = [AdaptiveWindowing()]

    def feed():
        helper = core[0]
        for x in data:
            if helper.update(x):
                helper = AdaptiveWindowing()
        core[0] = helper

    return feed, len(data)


def floor_feed(data):
    fabs = math.fabs

    def feed():
        for x in data:
            fabs(x)

    return feed, len(data)


def one_round(feed, n, seconds):
    passes = 0
    w0, c0 = time.perf_counter(), time.process_time()
    while True:
        feed()
        passes += 1
        w, c = time.perf_counter() - w0, time.process_time() - c0
        if w >= seconds:
            return {"wall_ns": w / (passes * n) * 1e9, "cpu_ns": c / (passes * n) * 1e9}


def adwin_drifts(data):
    det = drift.ADWIN()
    drifts = []
    for i, x in enumerate(data):
        det.update(x)
        if det.drift_detected:
            drifts.append(i)
    return drifts


def main():
    setup = json.loads(sys.stdin.readline())
    streams, kswin_length = setup["streams"], setup["kswin_length"]
    feeds = {}
    for line in sys.stdin:
        request = json.loads(line)
        if "drifts" in request:
            answer = adwin_drifts(streams["continuous"])
        else:
            name = request["round"]
            if name not in feeds:
                if name == "ADWIN core":
                    feeds[name] = core_feed(streams["continuous"])
                elif name == "floor":
                    feeds[name] = floor_feed(streams["continuous"])
                else:
                    feeds[name] = public_feed(name, streams, kswin_length)
                feeds[name][0]()  # warm-up pass
            feed, n = feeds[name]
            answer = one_round(feed, n, request["seconds"])
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
