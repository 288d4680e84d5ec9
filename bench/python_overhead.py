#!/usr/bin/env python3
"""Per-call overhead of the Python module (docs/python.md): the wall time of heatop calls from
Python against the same C++ work timed inside C++, on tiny grids where the overhead shows.

    PYTHONPATH=build/python python3 bench/python_overhead.py [--repeats 200]

Reports medians in microseconds. Target: <= 1 ms per call beyond the C++ work. Not a test
(timings depend on the machine's load); the numbers are in docs/python.md.
"""

import argparse
import pathlib
import statistics
import time

import numpy as np

import heatop

ROOT = pathlib.Path(__file__).resolve().parents[1]


def median_us(f, repeats):
    f()  # warm up
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return statistics.median(t) * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads of the solves")
    a = ap.parse_args()
    n = a.repeats

    print(f"heatop {heatop.__version__}, {n} repeats, medians, {a.threads} thread(s)")
    for grid in [(5, 5, 3), (11, 11, 6), (21, 21, 11)]:
        d = heatop.load_design(str(ROOT / "examples" / "c1_surface.yaml"))
        d.set("grid.nx", grid[0]).set("grid.ny", grid[1]).set("grid.nz", grid[2])
        heatop.solve(d, threads=a.threads)
        r = heatop.solve(d)
        solver_us = r.summary["solver"]["seconds"] * 1e6
        # C++: api::solve_design timed in C++ (discretization, solve, balance, statistics, summary)
        cpp_us = min(heatop._core._bench_solve(d, n) for _ in range(3)) * 1e6
        py_us = median_us(lambda: heatop.solve(d), n)
        m = np.full((20, 20), 0.005)
        pw_us = median_us(lambda: heatop.solve(d, power=m), n)
        maps = np.full((8, 20, 20), 0.005)
        batch_us = median_us(lambda: heatop.solve(d, power=maps), max(n // 8, 5)) / 8
        print(f"grid {grid[0]}x{grid[1]}x{grid[2]}: solve_design in C++ {cpp_us:8.1f} us "
              f"(solver alone {solver_us:7.1f} us) | heatop.solve {py_us:8.1f} us "
              f"(+{py_us - cpp_us:6.1f} us) | with a 20x20 map {pw_us:8.1f} us "
              f"(+{pw_us - cpp_us:6.1f} us) | batch of 8, per map {batch_us:8.1f} us "
              f"(+{batch_us - cpp_us:6.1f} us)")

    d = heatop.load_design(str(ROOT / "examples" / "c1_surface.yaml"))
    d.set("grid.nx", 11).set("grid.ny", 11).set("grid.nz", 6)
    r = heatop.solve(d)
    print(f"property read d.lx          {median_us(lambda: d.lx, n * 10):8.2f} us")
    print(f"result.T (NumPy view)       {median_us(lambda: r.T, n * 10):8.2f} us")
    print(f"result.summary (dict)       {median_us(lambda: r.summary, n):8.2f} us")
    print(f"result.peak                 {median_us(lambda: r.peak, n * 10):8.2f} us")
    print(f"d.set('grid.nx', 11)        {median_us(lambda: d.set('grid.nx', 11), n):8.2f} us "
          "(re-reads the design file)")
    T = r.T
    print(f"heatop.residual 11x11x6     {median_us(lambda: heatop.residual(d, T), n):8.2f} us")
    print(f"heatop.fv_system 11x11x6    {median_us(lambda: heatop.fv_system(d), n // 4 or 1):8.2f} us")


if __name__ == "__main__":
    main()
