#!/usr/bin/env python3
"""heatop from Python in one page (docs/python.md).

Run from the repository root with the module on the path, e.g.
    PYTHONPATH=build/python python3 examples/python/quickstart.py
"""

import pathlib

import numpy as np

import heatop

examples = pathlib.Path(__file__).resolve().parents[1]

# 1. Load a design and shrink its grid (any design-file key can be overridden, as with --set).
design = heatop.load_design(str(examples / "c1_surface.yaml"))
design.set("grid.nx", 31).set("grid.ny", 31).set("grid.nz", 16)
print(f"{design.name}: {design.lx * 1e3:.1f} x {design.ly * 1e3:.1f} mm, grid {design.shape}, "
      f"{design.total_power:.3f} W")

# 2. Solve. result.T is a NumPy view (nx, ny, nz) of the C++ buffer, in K.
result = heatop.solve(design)
i, j, k = np.unravel_index(np.argmax(result.T), result.T.shape)
print(f"peak {result.peak:.3f} K at ({result.x[i] * 1e3:.3f}, {result.y[j] * 1e3:.3f}, "
      f"{result.z[k] * 1e3:.3f}) mm, {result.iterations} iterations, "
      f"{result.summary['solver']['seconds'] * 1e3:.1f} ms in the solver")

# 3. The finite-volume system as a SciPy sparse matrix: A T = b.
A, b, info = heatop.fv_system(design)
t = result.T.ravel()  # the solver's layout: (i * ny + j) * nz + k
rel = np.linalg.norm(A @ t - b) / np.linalg.norm(b)
print(f"CSR system: {A.shape[0]} unknowns, {A.nnz} nonzeros, relative residual {rel:.2e}")

# 4. A batch of power maps (W per tile, rows along y) on the top face, solved in one call.
rng = np.random.default_rng(0)
maps = rng.uniform(0.0, 0.01, size=(3, 20, 20))
for n, r in enumerate(heatop.solve(design, power=maps)):
    print(f"batch map {n}: peak {r.peak:.3f} K, {maps[n].sum():.3f} W")

assert rel < 1e-8 and result.converged
print("quickstart: ok")
