"""Shared fixtures of the Python tests (run by ctest as python.pytest, docs/python.md)."""

import os
import pathlib

import pytest

import heatop

REPO = pathlib.Path(os.environ.get("HEATOP_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
EXAMPLES = REPO / "examples"
DATA = REPO / "tests" / "data"


def small_c1(nx=21, ny=21, nz=11, tol=None):
    """examples/c1_surface.yaml on a small grid."""
    d = heatop.load_design(str(EXAMPLES / "c1_surface.yaml"))
    d.set("grid.nx", nx).set("grid.ny", ny).set("grid.nz", nz)
    if tol is not None:
        d.set("solver.tol", tol)
    return d


@pytest.fixture
def c1():
    return small_c1()
