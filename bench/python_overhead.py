#!/usr/bin/env python3
"""Per-call overhead of the Python module (docs/python.md): the wall time of heatop calls from
Python minus the C++ work of the same call, on tiny grids where a fixed cost would show.

    PYTHONPATH=build/python python3 bench/python_overhead.py [--repeats 300]

Every SolveResult carries cpp_seconds, the wall time of its api::solve_design call measured in
C++; the overhead of a call is its wall time from Python minus that, paired call by call (so
machine load cancels). Reports medians in microseconds; the target is <= 1 ms per call beyond
the C++ work. Not a test: timings depend on the machine's load.
"""

import argparse
import pathlib
import statistics
import time

import numpy as np

import heatop

ROOT = pathlib.Path(__file__).resolve().parents[1]


def paired(call, repeats):
    """Medians (us) per solve of the wall time of call(), of the C++ time and of wall - C++."""
    call()  # warm up
    wall, cpp, over = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        rs = call()
        w = time.perf_counter() - t0
        rs = rs if isinstance(rs, list) else [rs]
        c = sum(r.cpp_seconds for r in rs)
        wall.append(w / len(rs))
        cpp.append(c / len(rs))
        over.append((w - c) / len(rs))
    return [statistics.median(v) * 1e6 for v in (wall, cpp, over)]


def median_us(f, repeats):
    f()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return statistics.median(t) * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads of the solves")
    a = ap.parse_args()
    n = a.repeats

    print(f"heatop {heatop.__version__}: {n} calls each, medians, {a.threads} thread(s)")
    print("call                              grid        wall/solve  solve_design  overhead")
    for grid in [(5, 5, 3), (11, 11, 6), (21, 21, 11)]:
        d = heatop.load_design(str(ROOT / "examples" / "c1_surface.yaml"))
        d.set("grid.nx", grid[0]).set("grid.ny", grid[1]).set("grid.nz", grid[2])
        heatop.solve(d, threads=a.threads)
        g = "x".join(map(str, grid))
        m = np.full((20, 20), 0.005)
        maps = np.full((8, 20, 20), 0.005)
        for name, call, reps in [
            ("heatop.solve(d)", lambda: heatop.solve(d), n),
            ("heatop.solve(d, power=map)", lambda: heatop.solve(d, power=m), n),
            ("heatop.solve(d, power=8 maps)", lambda: heatop.solve(d, power=maps), max(n // 8, 10)),
        ]:
            w, c, o = paired(call, reps)
            print(f"{name:33s} {g:10s} {w:9.1f} us {c:9.1f} us {o:8.1f} us")

    d = heatop.load_design(str(ROOT / "examples" / "c1_surface.yaml"))
    d.set("grid.nx", 11).set("grid.ny", 11).set("grid.nz", 6)
    r = heatop.solve(d)
    T = r.T
    print("no-op-ish calls (wall per call, median):")
    for name, f, reps in [
        ("d.lx (property)", lambda: d.lx, n * 10),
        ("result.peak", lambda: r.peak, n * 10),
        ("result.T (NumPy view)", lambda: r.T, n * 10),
        ("result.summary (dict)", lambda: r.summary, n),
        ("d.set('grid.nx', 11) (re-reads the file)", lambda: d.set("grid.nx", 11), n),
        ("heatop.residual 11x11x6", lambda: heatop.residual(d, T), n),
        ("heatop.fv_system 11x11x6 (27 probes + CSR)", lambda: heatop.fv_system(d), max(n // 4, 10)),
    ]:
        print(f"  {name:45s} {median_us(f, reps):9.2f} us")


if __name__ == "__main__":
    main()
