"""heatop.Surrogate (LibTorch builds only): a tiny operator trained here with the heatop binary
(HEATOP_BIN, set by ctest), batch prediction with error estimates, refinement."""

import json
import os
import subprocess

import numpy as np
import pytest

import heatop
from conftest import EXAMPLES, small_c1

pytestmark = pytest.mark.skipif(not heatop.has_surrogate, reason="module built without LibTorch")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    exe = os.environ.get("HEATOP_BIN")
    if not exe:
        pytest.skip("HEATOP_BIN (the heatop binary, to train a tiny model) is not set")
    exe = os.path.abspath(exe)
    assert os.path.exists(exe), f"HEATOP_BIN={exe} does not exist (build the heatop target)"
    d = tmp_path_factory.mktemp("surrogate")
    (d / "tiny.yaml").write_text(
        f"design: {EXAMPLES / 'c1_surface.yaml'}\n"
        "inputs: [{name: p, type: power_map, target: top, sensors: [11, 11]}]\n"
        "network: {rank: 8, branch: {widths: [16]}, trunk: {type: chebykan, widths: [8]}}\n"
        "training: {steps: 20, functions_per_step: 4, collocation: [9, 9, 5], validate_every: 10,\n"
        "           validation_functions: 1, validation_grid: [9, 9, 5], checkpoint_every: 10}\n")
    subprocess.run([exe, "train", "tiny.yaml", "-o", "m"], cwd=d, check=True,
                   capture_output=True, timeout=300)
    return str(d / "m")


def test_predict_batch_with_error_estimates(model_dir):
    s = heatop.Surrogate.load(model_dir)
    assert s.family == "c1_surface"
    assert s.input_names == ["p"]
    d = small_c1()
    rng = np.random.default_rng(3)
    maps = rng.uniform(0, 0.01, size=(2, 20, 20))
    T, err = s.predict(maps, design=d)
    assert T.shape == (2, 21, 21, 11)
    assert err.shape == (2,)
    assert np.all(np.isfinite(T)) and np.all(err >= 0)
    for b in range(2):
        fv = heatop.solve(d, power=maps[b]).T
        true = np.abs(fv - T[b]).max()
        assert err[b] == pytest.approx(true, rel=0.05)  # the estimate against the true error
        e = heatop.estimate_error(d, T[b], power=maps[b])
        assert e["est_max_error_K"] == pytest.approx(err[b], rel=1e-9)
        assert e["error"].shape == (21, 21, 11)
        assert e["estimate"] == "coarse"
        # the V-cycle estimate: the discrete error to a fraction of a percent
        v = heatop.estimate_error(d, T[b], power=maps[b], estimate="vcycles")
        assert v["estimate"] == "vcycles"
        assert v["est_max_error_K"] == pytest.approx(true, rel=0.01)
    with pytest.raises(ValueError, match="estimate must be coarse or vcycles, got 'exact'"):
        heatop.estimate_error(d, T[0], power=maps[0], estimate="exact")
    # one map: one field and one estimate
    t1, e1 = s.predict(maps[0], design=d)
    assert t1.shape == (21, 21, 11)
    np.testing.assert_allclose(t1, T[0], rtol=0, atol=1e-6)  # float32 network, other batch
    assert float(e1) == pytest.approx(err[0], rel=1e-3)


def test_refine_reaches_tolerance(model_dir):
    s = heatop.Surrogate.load(model_dir)
    d = small_c1(tol=1e-12)
    m = np.full((20, 20), 0.005)
    T, _ = s.predict(m, design=d)
    Tr, info = s.refine(d, T, tol_K=0.01, power=m)
    assert info["reached"] and info["est_max_error_K"] <= 0.01
    fv = heatop.solve(d, power=m).T
    assert np.abs(Tr - fv).max() < 0.02
    Tr2, _ = heatop.refine(d, T, tol_K=0.01, power=m)
    np.testing.assert_allclose(Tr2, Tr, rtol=0, atol=1e-9)


def test_predict_design_and_family_check(model_dir):
    s = heatop.Surrogate.load(model_dir)
    d = small_c1()
    t = s.predict_design(d)
    assert t.shape == (21, 21, 11)
    other = heatop.load_design(str(EXAMPLES / "c2_volumetric.yaml"))
    with pytest.raises(ValueError, match="not of the family"):
        s.predict_design(other)


def test_hybrid_optimize(model_dir):
    res = heatop.optimize(
        str(EXAMPLES / "c3_placement.yaml"), model=model_dir,
        overrides=["optimizer.evaluations=16", "optimizer.eval_grid=[21, 21, 11]",
                   "verify_grid=[21, 21, 11]"])
    assert res["mode"] == "hybrid"
    assert res["final_peak_K"] > 298.15
    assert res["evaluations"]["surrogate"] > 0


def test_hybrid_optimize_with_a_solved_model(tmp_path):
    """A solved model (heatop train DESIGN --input) drives heatop.optimize through the plain
    operator, as the CLI's optimize does: the same verified peak."""
    exe = os.environ.get("HEATOP_BIN")
    if not exe:
        pytest.skip("HEATOP_BIN (the heatop binary, to build a solved model) is not set")
    exe = os.path.abspath(exe)
    subprocess.run([exe, "train", str(EXAMPLES / "c1_surface.yaml"), "--input", "top", "-o", "ms",
                    "--set", "training.validation_grid=[21, 21, 11]"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=300)
    overrides = ["optimizer.evaluations=16", "optimizer.eval_grid=[21, 21, 11]",
                 "verify_grid=[21, 21, 11]"]
    res = heatop.optimize(str(EXAMPLES / "c3_placement.yaml"), model=str(tmp_path / "ms"),
                          overrides=overrides, checks="final", shortlist=2)
    assert res["mode"] == "hybrid"
    assert res["evaluations"]["surrogate"] == 16
    assert res["evaluations"]["fv"] == 2
    cmd = [exe, "optimize", str(EXAMPLES / "c3_placement.yaml"), "--model", str(tmp_path / "ms"),
           "--checks", "final", "--shortlist", "2", "-o", "out"]
    for o in overrides:
        cmd += ["--set", o]
    subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True, timeout=300)
    cli = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert res["final_peak_K"] == pytest.approx(cli["final_peak_K_fv"], abs=1e-9)


def test_response_model_of_a_die_on_a_spreader(tmp_path):
    """Layers with footprints: a response model (built by FV solves, no network) predicts maps
    on its sensors' tiles as the solver does, with NaN where there is no material."""
    exe = os.environ.get("HEATOP_BIN")
    if not exe:
        pytest.skip("HEATOP_BIN (the heatop binary, to build the model) is not set")
    text = (EXAMPLES / "die_on_spreader.yaml").read_text().replace(
        "  nx: 41\n  ny: 41", "  nx: 17\n  ny: 17")
    (tmp_path / "spreader.yaml").write_text(text)
    subprocess.run([os.path.abspath(exe), "train", "spreader.yaml", "--input", "layer:die",
                    "-o", "m"], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    s = heatop.Surrogate.load(str(tmp_path / "m"))
    assert "FV responses" in s.network
    d = heatop.load_design(str(tmp_path / "spreader.yaml"))
    maps = np.random.default_rng(5).uniform(0, 0.01, size=(2, 20, 20))
    T, err = s.predict(maps, design=d)
    assert T.shape == (2, 17, 17, 13)
    for b in range(2):
        fv = heatop.solve(d, power=maps[b], power_target="layer:die").T
        assert np.array_equal(np.isnan(T[b]), np.isnan(fv)) and np.isnan(fv).any()
        assert np.nanmax(np.abs(T[b] - fv)) < 1e-5
        assert err[b] < 1e-3
