"""heatop: steady-state thermal analysis of 3D ICs (finite volumes + multigrid), from Python.

A thin layer over the C++ library (the extension ``heatop._core``); see docs/python.md.

    import heatop
    d = heatop.load_design("examples/c1_surface.yaml").set("grid.nx", 41).set("grid.ny", 41)
    r = heatop.solve(d)
    print(r.peak, r.T.shape)            # K, (nx, ny, nz), a view of the C++ buffer
    A, b, info = heatop.fv_system(d)    # SciPy CSR matrix and right-hand side
"""

import json as _json
import numbers as _numbers

import numpy as _np

from . import _core
from ._core import (  # noqa: F401  (re-exported)
    Design,
    SolveResult,
    __version__,
    estimate_error,
    has_surrogate,
    import_3dice,
    import_hotspot,
    load_design,
    refine,
    residual,
)

if has_surrogate:
    from ._core import Surrogate  # noqa: F401

__all__ = [
    "Design",
    "SolveResult",
    "load_design",
    "design_from_dict",
    "import_hotspot",
    "import_3dice",
    "solve",
    "fv_system",
    "residual",
    "estimate_error",
    "refine",
    "optimize",
    "has_surrogate",
]
if has_surrogate:
    __all__.append("Surrogate")


def _plain(value):
    """NumPy scalars and arrays as plain Python values (for JSON/YAML)."""
    if isinstance(value, _np.ndarray):
        return value.tolist()
    if isinstance(value, _np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _yaml_value(value):
    """A Python value as YAML text for an override: ints, floats, strings, bools, None (removes
    the key), lists and dicts (as JSON flow style, which is YAML)."""
    value = _plain(value)
    if isinstance(value, bool) or value is None:
        return _json.dumps(value)
    if isinstance(value, _numbers.Integral):
        return str(int(value))
    if isinstance(value, _numbers.Real):
        return repr(float(value))
    if isinstance(value, str):
        return _json.dumps(value)  # quoted: "1e3" stays a string, paths keep their characters
    return _json.dumps(value)


def _design_set(self, key, value=None):
    """Overrides one design-file key, e.g. ``d.set("grid.nx", 41)`` or ``d.set("grid.nx=41")``
    (as ``heatop solve --set``). The design is re-loaded with all overrides so far; on an error
    (ValueError with the CLI's message) it is left unchanged. Returns the design (chainable)."""
    if value is None and "=" in key:
        self._set(key)
    else:
        self._set(f"{key}={_yaml_value(value)}")
    return self


Design.set = _design_set


def design_from_dict(d, base_dir=".", name="design"):
    """A Design from a dict with the design file's keys (docs/design-file.md); relative file
    paths (power maps) resolve against base_dir."""
    if not isinstance(d, dict):
        raise TypeError("design_from_dict: expected a dict with the design file's keys")
    text = _json.dumps(_plain(d))  # JSON is YAML
    return _core._parse_design(text, str(d.get("name", name)), str(base_dir))


def solve(design, power=None, threads=0, power_target="top"):
    """Solves a design; returns a SolveResult.

    power: optional tile map (rows, cols) in W per tile (row r covers y in [r, r+1] Ly/rows),
    replacing the power of ``power_target`` ("top", "bottom": a face of type power;
    "layer:NAME": volumetric), or a batch (B, rows, cols): a list of B results, solved in one call
    without the GIL. threads: OpenMP threads (0 keeps the current setting)."""
    if power is None:
        return _core._solve(design, threads)
    return _core._solve_power(design, _np.asarray(power, dtype=_np.float64), power_target, threads)


def fv_system(design, power=None, power_target="top"):
    """The finite-volume system A T = b of a design: (A as scipy.sparse.csr_matrix (N x N,
    W/K), b (N,) in W, info). power / power_target: an optional tile map, as for solve(). Unknowns in the solver's layout: index (i*ny + j)*nz + k, so
    ``T.ravel()`` of a solve result matches. info: shape, x, y, z (m), power (W per node),
    power_in (W), reference_temperature (K), and active (1/0 per node) for designs with void
    regions (void nodes have identity rows; solve results hold NaN there)."""
    import scipy.sparse as _sp

    if power is not None:
        power = _np.asarray(power, dtype=_np.float64)
    s = _core._fv_system(design, power, power_target)
    n = s.pop("n")
    A = _sp.csr_matrix((s.pop("data"), s.pop("indices"), s.pop("indptr")), shape=(n, n))
    b = s.pop("b")
    return A, b, s


def optimize(problem, model=None, fd_only=None, overrides=(), tolerance_K=0.5, checks="best",
             shortlist=5):
    """Runs a placement optimization (docs/placement-file.md) as ``heatop optimize`` does,
    without writing files: FV-only (fd_only=True, the default without a model) or hybrid with a
    trained model folder (model=..., LibTorch builds; checks "best", "corrected" or "final").
    Returns a dict with the CLI's summary.json content (start_peak_K_fv, final_peak_K_fv,
    evaluations, placement, trace, ...) plus start_peak_K and final_peak_K."""
    return _core._optimize(str(problem), None if model is None else str(model), fd_only,
                           [str(o) for o in overrides], tolerance_K, checks, shortlist)
