"""Importers: HotSpot and 3D-ICE models as Designs (interop::load_any_design)."""

import pytest

import heatop
from conftest import DATA

HS = DATA / "interop" / "hotspot"
ICE = DATA / "interop" / "3d-ice"


def test_import_hotspot_example2():
    e = HS / "example2"
    d = heatop.import_hotspot(
        str(e / "example.config"), str(e / "ev6.flp"), str(e / "gcc.ptrace"),
        materials=str(e / "example.materials"))
    assert isinstance(d, heatop.Design)
    assert d.layer_names[-1] == "sink"
    assert "chip" in d.layer_names
    assert d.total_power > 1
    assert isinstance(d.warnings, list)
    assert any("-model_type block" in w for w in d.warnings)  # the config asks for block
    # overrides work on imported designs too
    d.set("top.T_amb_K", 320.0)
    assert d.reference_temperature == pytest.approx(320.0)


def test_import_3dice_and_solve():
    d = heatop.import_3dice(str(ICE / "test_solid" / "topsink.stk"))
    assert "die1" in d.layer_names and "die2" in d.layer_names
    d.set("grid.nx", 21).set("grid.ny", 21)
    r = heatop.solve(d)
    assert r.converged
    assert r.peak > d.reference_temperature
    assert r.T.shape[:2] == (21, 21)


def test_import_errors_name_file_and_line():
    with pytest.raises(ValueError, match="example_steady.stk:13: 'microchannel'"):
        heatop.import_3dice(str(ICE / "example_steady_4rm" / "example_steady.stk"))
    with pytest.raises((ValueError, RuntimeError), match="nope.flp"):
        e = HS / "example2"
        heatop.import_hotspot(str(e / "example.config"), str(e / "nope.flp"), str(e / "gcc.ptrace"),
                              materials=str(e / "example.materials"))
