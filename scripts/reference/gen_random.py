"""Writes test/fixtures/random/cpython_random.json: what CPython's random.Random(seed) draws,
call after call, so the TypeScript Mersenne Twister can be checked draw for draw.

Run: scripts/reference/.venv/bin/python scripts/reference/gen_random.py
"""
import json
import pathlib
import random
import sys

OUT = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "random" / "cpython_random.json"

# Seeds as strings where they exceed 2**53, so JSON keeps them exact.
SEEDS = [0, 1, 42, 12345, -7, 2**32, 2**40 + 7, 2**100 + 3]

# sample(range(n), k): the pool branch (n <= setsize) and the rejection-set branch (n > setsize).
SAMPLES = [(70, 30), (100, 100), (5, 5), (10, 0), (990, 10), (1000, 3), (10**6, 20), (200, 100), (90, 25)]


def script_for(seed):
    rng = random.Random(seed)
    steps = []
    steps.append({"op": "random", "values": [rng.random() for _ in range(5)]})
    for bits in [1, 5, 31, 32, 33, 53]:
        steps.append({"op": "getRandBits", "arg": bits, "values": [rng.getrandbits(bits) for _ in range(3)]})
    for n in [1, 2, 3, 70, 1000, 2**31 + 11, 2**40 + 1]:
        steps.append({"op": "randBelow", "arg": n, "values": [rng.randrange(n) for _ in range(4)]})
    for n, k in SAMPLES:
        steps.append({"op": "sampleRange", "arg": [n, k], "values": rng.sample(range(n), k)})
    steps.append({"op": "random", "values": [rng.random() for _ in range(3)]})
    return steps


def main():
    cases = [{"seed": str(seed), "steps": script_for(seed)} for seed in SEEDS]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"python": sys.version.split()[0], "cases": cases}) + "\n")
    print(f"wrote {len(cases)} seeds to {OUT}")


if __name__ == "__main__":
    main()
