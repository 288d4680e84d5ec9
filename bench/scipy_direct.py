#!/usr/bin/python3
"""Sparse direct reference solve for heatop_bench_solver (bench/README.md).

Usage: /usr/bin/python3 bench/scipy_direct.py DIR [--permc COLAMD]

DIR holds what the benchmark exported: rows.npy, cols.npy, vals.npy (the triplets of heatop's
7-point finite-volume matrix, assembled by probing the matrix-free operator), rhs.npy and T.npy
(heatop's CG + multigrid solution). Factorizes with SuperLU (scipy.sparse.linalg.splu), solves,
and prints one JSON line on stdout: seconds (factor + solve), peak memory of this process,
max |T_direct - T_heatop| in K, and checks of the exported matrix. Needs Debian's python3-scipy;
if SciPy is missing it prints {"available": false, ...} and exits 0.
"""

import json
import resource
import sys
import time


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    folder = args[0]
    permc = "COLAMD"
    if "--permc" in args:
        permc = args[args.index("--permc") + 1]
    try:
        import numpy as np
        import scipy
        import scipy.sparse as sp
        import scipy.sparse.linalg as spla
    except ImportError as e:
        print(json.dumps({"available": False, "error": "scipy not available: %s" % e}))
        return 0

    rows = np.load(folder + "/rows.npy").astype(np.int64)
    cols = np.load(folder + "/cols.npy").astype(np.int64)
    vals = np.load(folder + "/vals.npy")
    b = np.load(folder + "/rhs.npy")
    t_heatop = np.load(folder + "/T.npy").reshape(-1)  # C order: (i * ny + j) * nz + k
    n = b.size
    a = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
    del rows, cols, vals
    asym = abs(a - a.T).max() / abs(a).max()
    heatop_res = np.linalg.norm(b - a @ t_heatop) / np.linalg.norm(b)
    base = peak_mib()

    t0 = time.perf_counter()
    lu = spla.splu(a, permc_spec=permc)
    t1 = time.perf_counter()
    x = lu.solve(b)
    t2 = time.perf_counter()

    out = {
        "available": True,
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "method": "splu(permc_spec=%s) + solve" % permc,
        "n": int(n),
        "nnz": int(a.nnz),
        "lu_nnz": int(lu.L.nnz + lu.U.nnz),
        "factor_seconds": t1 - t0,
        "solve_seconds": t2 - t1,
        "seconds": t2 - t0,
        "peak_mib": peak_mib(),
        "peak_before_factor_mib": base,
        "rel_residual": float(np.linalg.norm(b - a @ x) / np.linalg.norm(b)),
        "heatop_rel_residual_assembled": float(heatop_res),
        "matrix_rel_asymmetry": float(asym),
        "max_abs_diff_K": float(np.max(np.abs(x - t_heatop))),
        "T_max_K": float(x.max()),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
