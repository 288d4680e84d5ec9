"""heatop.optimize: a placement run as `heatop optimize --fd-only` does it."""

import pytest

import heatop
from conftest import EXAMPLES

SMALL = ["optimizer.evaluations=16", "optimizer.eval_grid=[21, 21, 11]", "verify_grid=[21, 21, 11]"]


def test_optimize_fd_only():
    res = heatop.optimize(str(EXAMPLES / "c3_placement.yaml"), fd_only=True, overrides=SMALL)
    assert res["mode"] == "fd-only"
    assert res["start_peak_K"] > 298.15
    # start and final are verified on the same grid here; the search starts at the start
    assert res["final_peak_K"] <= res["start_peak_K"] + 1e-9
    assert res["evaluations"]["total"] == 16
    blocks = res["placement"]
    assert len(blocks) > 1 and {"name", "tile", "rotated", "power_W"} <= set(blocks[0])
    assert len(res["trace"]) > 0


def test_optimize_errors():
    with pytest.raises(ValueError, match="exactly one"):
        heatop.optimize(str(EXAMPLES / "c3_placement.yaml"), fd_only=False, overrides=SMALL)
    with pytest.raises(ValueError):
        heatop.optimize(str(EXAMPLES / "c3_placement.yaml"), fd_only=True,
                        overrides=["optimizer.nonsense=1"])
