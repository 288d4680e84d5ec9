"""heatop.fv_system (SciPy CSR from the matrix-free operator) and heatop.residual."""

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import heatop
from conftest import small_c1


def stack_design(**grid):
    """Two materials, a footprint (void cells), a fixed face, a convective face and a
    volumetric source: the operator's general path."""
    spec = {
        "name": "stack",
        "die": {"size_mm": [2.0, 1.5]},
        "layers": [
            {"name": "spreader", "thickness_mm": 0.3, "k_W_per_mK": 390},
            {
                "name": "die",
                "thickness_mm": 0.1,
                "kxy_W_per_mK": 150,
                "kz_W_per_mK": 100,
                "footprint_mm": [0.5, 0.25, 1.0, 1.0],
                "power_W": 2.0,
            },
        ],
        "bottom": {"type": "fixed", "T_K": 310.0},
        "top": {"type": "convective", "h_W_per_m2K": 1.0e4, "T_amb_K": 300.0},
        "sides": {"type": "adiabatic"},
        "grid": {"nx": 9, "ny": 7, "nz": 7},
        "solver": {"tol": 1.0e-12},
    }
    spec["grid"].update(grid)
    return heatop.design_from_dict(spec)


def test_csr_shape_symmetry_and_residual():
    d = small_c1()
    r = heatop.solve(d)
    A, b, info = heatop.fv_system(d)
    n = 21 * 21 * 11
    assert A.shape == (n, n) and b.shape == (n,)
    assert info["shape"] == (21, 21, 11)
    np.testing.assert_array_equal(info["x"], r.x)
    assert info["power_in"] == pytest.approx(d.total_power)
    assert np.diff(A.indptr).max() <= 7  # 7-point stencil
    assert abs(A - A.T).max() <= 1e-12 * abs(A).max()
    t = r.T.ravel()
    rel = np.linalg.norm(A @ t - b) / np.linalg.norm(b)
    assert rel <= 1e-8
    assert rel == pytest.approx(r.rel_residual, rel=1e-3)
    # the matrix-free residual is b - A T
    res = heatop.residual(d, r.T)
    assert res.shape == (21, 21, 11)
    np.testing.assert_allclose(res.ravel(), b - A @ t, rtol=0, atol=1e-12 * np.abs(b).max())


def test_sparse_solve_reproduces_heatop():
    d = small_c1(11, 11, 6, tol=1e-12)
    r = heatop.solve(d)
    A, b, _ = heatop.fv_system(d)
    t = spla.spsolve(A.tocsc(), b)
    assert np.abs(t - r.T.ravel()).max() < 1e-6
    # and CG (A is SPD)
    x0 = np.full(b.shape, 298.15)
    try:
        t_cg, info = spla.cg(A, b, x0=x0, rtol=1e-13, atol=0, maxiter=20000)
    except TypeError:  # SciPy < 1.12
        t_cg, info = spla.cg(A, b, x0=x0, tol=1e-13, atol=0, maxiter=20000)
    assert info == 0
    assert np.abs(t_cg - r.T.ravel()).max() < 1e-6


def test_general_operator_with_void_and_fixed_faces():
    d = stack_design()
    r = heatop.solve(d)
    A, b, info = heatop.fv_system(d)
    assert abs(A - A.T).max() <= 1e-12 * abs(A).max()
    active = info["active"].ravel() > 0
    assert 0 < active.sum() < active.size  # the footprint leaves void nodes
    t = spla.spsolve(A.tocsc(), b)
    T = r.T.ravel()
    assert np.isnan(T[~active]).all()
    assert np.abs(t[active] - T[active]).max() < 1e-6
    # fixed bottom face: rows with only a diagonal, T = 310 K there
    assert np.allclose(r.T[:, :, 0], 310.0)


def test_residual_checks_size(c1):
    with pytest.raises(ValueError, match="nodes"):
        heatop.residual(c1, np.zeros(10))
