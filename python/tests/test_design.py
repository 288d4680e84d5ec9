"""Designs: loading, properties, overrides (as --set), dicts, errors."""

import pytest

import heatop
from conftest import EXAMPLES, small_c1


def test_load_design_properties():
    d = heatop.load_design(str(EXAMPLES / "c1_surface.yaml"))
    assert d.name == "c1_surface"
    assert d.lx == pytest.approx(1e-3)
    assert d.ly == pytest.approx(1e-3)
    assert d.lz == pytest.approx(0.5e-3)
    assert d.shape == (101, 101, 51)
    assert d.layer_names == ["die"]
    assert d.reference_temperature == pytest.approx(298.15)
    assert d.total_power > 0
    assert "c1_surface" in repr(d)


def test_set_overrides_and_chains():
    d = heatop.load_design(str(EXAMPLES / "c1_surface.yaml"))
    assert d.set("grid.nx", 41) is d
    d.set("grid.ny", 31).set("grid.nz", 11)
    assert d.shape == (41, 31, 11)
    assert d.overrides == ["grid.nx=41", "grid.ny=31", "grid.nz=11"]
    d.set("layers.0.k_W_per_mK", 150.5)  # float
    assert "150.5" in d.effective_yaml
    d.set("grid.nx=21")  # the CLI's spelling
    assert d.shape == (21, 31, 11)


def test_set_string_and_list_values():
    d = small_c1()
    p0 = d.total_power
    d.set("top.power_map", "maps/map_c6.txt")  # resolved against the design file's folder
    assert d.total_power != pytest.approx(p0)
    d.set("die.size_mm", [2.0, 1.0])
    assert d.lx == pytest.approx(2e-3) and d.ly == pytest.approx(1e-3)
    d.set("name", "renamed")
    assert d.name == "renamed"


def test_copy_is_independent():
    d = small_c1()
    e = d.copy()
    e.set("grid.nx", 5)
    assert d.shape[0] == 21 and e.shape[0] == 5


def test_failed_set_leaves_design_unchanged():
    d = small_c1()
    with pytest.raises(ValueError):
        d.set("grid.nx", -3)
    assert d.shape == (21, 21, 11)
    assert d.overrides == ["grid.nx=21", "grid.ny=21", "grid.nz=11"]


def test_unknown_key_lists_valid_keys():
    d = small_c1()
    with pytest.raises(ValueError) as e:
        d.set("grid.nq", 3)
    msg = str(e.value)
    assert "unknown key 'nq'" in msg
    assert "valid keys" in msg and "nx" in msg and "ny" in msg and "nz" in msg


def test_missing_file_is_runtime_error():
    with pytest.raises(RuntimeError, match="not found"):
        heatop.load_design("/nonexistent/design.yaml")


def test_design_from_dict(tmp_path):
    (tmp_path / "p.csv").write_text("0.1,0.2\n0.3,0.4\n")
    spec = {
        "name": "slab",
        "die": {"size_mm": [2.0, 1.0]},
        "layers": [
            {"name": "si", "thickness_mm": 0.2, "k_W_per_mK": 120, "power_map": "p.csv"},
            {"name": "tim", "thickness_mm": 0.05, "k_W_per_mK": 5},
        ],
        "top": {"type": "convective", "h_W_per_m2K": 2.0e4, "T_amb_K": 300.0},
        "bottom": {"type": "adiabatic"},
        "sides": {"type": "adiabatic"},
        "grid": {"nx": 9, "ny": 7, "nz": 9},
    }
    d = heatop.design_from_dict(spec, base_dir=str(tmp_path))
    assert d.name == "slab"
    assert d.layer_names == ["si", "tim"]
    assert d.shape == (9, 7, 9)
    assert d.total_power == pytest.approx(1.0)
    assert d.reference_temperature == pytest.approx(300.0)
    d.set("grid.nx", 5)
    assert d.shape[0] == 5
    r = heatop.solve(d)
    assert r.converged and r.peak > 300.0


def test_design_from_dict_errors():
    with pytest.raises(ValueError, match="unknown key 'colour'"):
        heatop.design_from_dict({"die": {"size_mm": [1, 1]}, "colour": "red"})
    with pytest.raises(TypeError):
        heatop.design_from_dict([1, 2])
