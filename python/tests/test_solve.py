"""heatop.solve: results, zero-copy fields, power maps and batches."""

import gc

import numpy as np
import pytest

import heatop
from conftest import EXAMPLES, small_c1


def read_tile_map(path):
    """A celsius tile map file (POWER MAP, rows cols, values) as an array (rows, cols)."""
    lines = [l for l in open(path) if l.strip() and not l.startswith("#")]
    rows, cols = map(int, lines[1].split())
    return np.array([[float(v) for v in l.split()] for l in lines[2 : 2 + rows]]).reshape(rows, cols)


def test_solve_result(c1):
    r = heatop.solve(c1)
    assert r.converged
    assert r.iterations > 0
    assert r.T.shape == (21, 21, 11) == r.shape
    assert r.T.dtype == np.float64
    assert r.peak == pytest.approx(float(np.nanmax(r.T)))
    s = r.summary
    assert isinstance(s, dict)
    assert s["T_max_K"] == pytest.approx(r.peak)
    assert s["source"] == "fv"
    assert s["solver"]["converged"] is True
    assert s["solver"]["iterations"] == r.iterations
    assert "files" not in s
    assert s["energy_balance_rel"] < 1e-6
    assert len(r.x) == 21 and len(r.z) == 11
    assert r.x[0] == 0 and r.x[-1] == pytest.approx(c1.lx)
    assert r.z[-1] == pytest.approx(c1.lz)
    i, j, k = np.unravel_index(np.argmax(r.T), r.T.shape)
    assert (r.x[i], r.y[j], r.z[k]) == pytest.approx(r.hotspot)


def test_T_is_a_view_not_a_copy(c1):
    r = heatop.solve(c1)
    t1, t2 = r.T, r.T
    assert t1.__array_interface__["data"][0] == t2.__array_interface__["data"][0]
    assert np.shares_memory(t1, t2)
    assert t1.base is r  # the result object owns the buffer
    assert not t1.flags.owndata
    assert t1.flags.c_contiguous
    assert r.x.base is r


def test_T_outlives_the_result(c1):
    t = heatop.solve(c1).T
    peak = float(t.max())
    gc.collect()
    junk = [np.ones(t.size) for _ in range(5)]  # reuse freed memory, if it had been freed
    assert float(t.max()) == peak
    assert 298.15 < peak < 400
    del junk


def test_power_map_equals_design_file_map(c1):
    """A map given from Python lands exactly where the same map read from the file does."""
    m = read_tile_map(EXAMPLES / "maps" / "map_c3.txt")
    ref = heatop.solve(c1)
    r = heatop.solve(c1, power=m)
    np.testing.assert_allclose(r.T, ref.T, rtol=0, atol=1e-9)
    # A transposed map is another power distribution (orientation matters).
    rt = heatop.solve(c1, power=m.T)
    assert np.abs(rt.T - ref.T).max() > 1e-3


def test_power_linearity_and_total(c1):
    rng = np.random.default_rng(0)
    m = rng.uniform(0, 0.01, size=(8, 8))
    r1 = heatop.solve(c1, power=m)
    r2 = heatop.solve(c1, power=2 * m)
    assert r1.summary["power_in_W"] == pytest.approx(m.sum(), rel=1e-12)
    t0 = c1.reference_temperature
    np.testing.assert_allclose(r2.T - t0, 2 * (r1.T - t0), rtol=1e-6, atol=1e-6)


def test_batch_matches_single_solves(c1):
    rng = np.random.default_rng(1)
    maps = rng.uniform(0, 0.01, size=(3, 20, 20))
    rs = heatop.solve(c1, power=maps)
    assert isinstance(rs, list) and len(rs) == 3
    for m, r in zip(maps, rs):
        single = heatop.solve(c1, power=m)
        np.testing.assert_allclose(r.T, single.T, rtol=0, atol=1e-9)
        assert r.summary["power_in_W"] == pytest.approx(m.sum())
    assert len({r.T.__array_interface__["data"][0] for r in rs}) == 3


def test_power_targets(c1):
    m = np.full((4, 4), 0.05)
    r = heatop.solve(c1, power=m, power_target="layer:die")
    # the top face keeps its own map; the layer adds 0.8 W
    assert r.summary["power_in_W"] == pytest.approx(c1.total_power + 0.8)
    with pytest.raises(ValueError, match="no layer named 'nope'; layers: die"):
        heatop.solve(c1, power=m, power_target="layer:nope")
    with pytest.raises(ValueError, match="bottom face is convective"):
        heatop.solve(c1, power=m, power_target="bottom")
    with pytest.raises(ValueError, match="expected 'top', 'bottom' or 'layer:NAME'"):
        heatop.solve(c1, power=m, power_target="side")
    with pytest.raises(ValueError, match="dimensions"):
        heatop.solve(c1, power=np.ones(5))
    with pytest.raises(ValueError):
        heatop.solve(c1, power=np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match=r"map 1, tile \(row 0, col 1\) is inf"):
        heatop.solve(c1, power=np.array([np.ones((2, 2)), [[1, np.inf], [1, 1]]]))


def test_threads_argument(c1):
    r = heatop.solve(c1, threads=1)
    assert r.summary["solver"]["threads"] == 1
    ref = heatop.solve(c1)
    np.testing.assert_allclose(r.T, ref.T, rtol=0, atol=1e-9)


def test_solves_from_python_threads(c1):
    """Solves release the GIL; results from 4 threads equal sequential ones, while the main
    thread keeps re-loading a copy of the design (set() without the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(5)
    maps = rng.uniform(0, 0.01, size=(4, 20, 20))
    seq = [heatop.solve(c1, power=m).T.copy() for m in maps]
    other = c1.copy()
    with ThreadPoolExecutor(4) as ex:
        futs = [ex.submit(heatop.solve, c1, m) for m in maps]
        for n in range(5):
            other.set("layers.0.k_W_per_mK", 100 + n)
        par = [f.result().T for f in futs]
    for a, b in zip(seq, par):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
