// The Python module heatop._core (docs/python.md): a thin shell over the library. Designs are
// loaded and overridden as by the CLI, solves go through api::solve_design, the FV system is
// read off the matrix-free operator, importers through interop::load_any_design, placement runs
// through the optimize library, the surrogate (LibTorch builds only) through SurrogateModel and
// the trust layer. C++ exceptions become Python exceptions (std::invalid_argument -> ValueError,
// std::runtime_error -> RuntimeError) with the CLI's messages. Long C++ work runs without the GIL.

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/optimize.hpp"
#include "api/solve.hpp"
#include "fv/system.hpp"
#include "interop/importer.hpp"
#include "io/design_file.hpp"
#include "model/design.hpp"
#include "model/grid.hpp"
#include "model/names.hpp"
#include "surrogate/drivers.hpp"
#include "surrogate/response_operator.hpp"
#include "surrogate/solved_predictors.hpp"
#include "trust/confidence.hpp"

#ifdef HEATOP_WITH_TORCH
#include "surrogate/predictors.hpp"
#include "surrogate/surrogate_model.hpp"
#endif

namespace py = pybind11;
using namespace heatop;

namespace {

// ---------------------------------------------------------------------------------------------
// Conversions

py::object to_py(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return py::none();
    case nlohmann::json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return py::int_(j.get<long long>());
    case nlohmann::json::value_t::number_unsigned:
      return py::int_(j.get<unsigned long long>());
    case nlohmann::json::value_t::number_float:
      return py::float_(j.get<double>());
    case nlohmann::json::value_t::string:
      return py::str(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      py::list l;
      for (const auto& e : j) l.append(to_py(e));
      return std::move(l);
    }
    case nlohmann::json::value_t::object: {
      py::dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d[py::str(it.key())] = to_py(it.value());
      return std::move(d);
    }
    default:
      return py::none();
  }
}

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

// A NumPy view of `data` (not a copy) whose lifetime is tied to `owner`.
py::array view(const double* data, std::vector<py::ssize_t> shape, py::handle owner) {
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t s = sizeof(double);
  for (std::size_t d = shape.size(); d-- > 0;) {
    strides[d] = s;
    s *= shape[d];
  }
  return py::array(py::dtype::of<double>(), std::move(shape), std::move(strides), data, owner);
}

// A NumPy array that owns `v` (moved into a capsule, no copy).
py::array owning(std::vector<double>&& v, std::vector<py::ssize_t> shape) {
  auto* heap = new std::vector<double>(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<double>*>(p); });
  return view(heap->data(), std::move(shape), owner);
}

// ---------------------------------------------------------------------------------------------
// Designs

// A design plus how to rebuild it: Design.set() re-loads the source with all overrides so far,
// exactly as `heatop solve FILE --set a --set b` would. The loaded design is an immutable
// snapshot: calls that run without the GIL hold their own reference, set() swaps it.
struct PyDesign {
  bool from_text = false;
  interop::DesignSource source;        // from_text == false: a file, .stk or HotSpot model
  std::string text, name, base_dir;    // from_text == true
  std::vector<std::string> overrides;  // "key=value", in order
  std::shared_ptr<const io::LoadedDesign> snapshot;
  std::vector<std::string> warnings;  // the importer's

  const io::LoadedDesign& loaded() const { return *snapshot; }

  struct Loaded {
    std::shared_ptr<const io::LoadedDesign> design;
    std::vector<std::string> warnings;
  };
  // Loads the source with overrides `ov` (reads only members fixed at construction).
  Loaded load(const std::vector<std::string>& ov) const {
    Loaded l;
    if (from_text) {
      l.design =
          std::make_shared<const io::LoadedDesign>(io::parse_design(text, name, base_dir, ov));
    } else {
      interop::DesignSource s = source;
      s.overrides = ov;
      l.design = std::make_shared<const io::LoadedDesign>(interop::load_any_design(s, &l.warnings));
    }
    return l;
  }
  void assign(Loaded l, std::vector<std::string> ov) {
    snapshot = std::move(l.design);
    warnings = std::move(l.warnings);
    overrides = std::move(ov);
  }
};

std::shared_ptr<PyDesign> load_source(const interop::DesignSource& src) {
  auto d = std::make_shared<PyDesign>();
  d->source = src;
  d->source.overrides.clear();
  PyDesign::Loaded l;
  {
    py::gil_scoped_release nogil;
    l = d->load(src.overrides);
  }
  d->assign(std::move(l), src.overrides);
  return d;
}

model::Grid design_grid(const model::Design& d) { return model::build_grid(d); }

// Where a power map given from Python goes: "top", "bottom" (the face's power map; the face
// must be of type power) or "layer:NAME" (volumetric). The map replaces what was there.
void apply_power(model::Design& d, model::PowerMap map, const std::string& target) {
  map.source = "python (" + target + ")";
  if (target == "top" || target == "bottom") {
    const int f = target == "top" ? model::kTop : model::kBottom;
    model::Boundary& b = d.faces[f];
    if (b.type != model::BcType::kPower)
      throw std::invalid_argument(
          "power_target '" + target + "': the design's " + target + " face is " +
          model::bc_type_name(b.type) +
          ", not a power face; give a layer with power_target='layer:NAME'");
    b.power = std::move(map);
    return;
  }
  if (target.rfind("layer:", 0) == 0) {
    const std::string name = target.substr(6);
    std::string names;
    for (auto& l : d.layers) {
      if (l.name == name) {
        l.power = std::move(map);
        return;
      }
      names += (names.empty() ? "" : ", ") + l.name;
    }
    throw std::invalid_argument("power_target '" + target + "': no layer named '" + name +
                                "'; layers: " + names);
  }
  throw std::invalid_argument("power_target '" + target +
                              "': expected 'top', 'bottom' or 'layer:NAME'");
}

// Tile maps from a (rows, cols) or (B, rows, cols) array, W per tile, row r covering y.
std::vector<model::PowerMap> tile_maps(const DoubleArray& a, bool* batch) {
  if (a.ndim() != 2 && a.ndim() != 3)
    throw std::invalid_argument(
        "power: expected a (rows, cols) tile map or a batch (B, rows, "
        "cols) in W per tile, got an array with " +
        std::to_string(a.ndim()) + " dimensions");
  *batch = a.ndim() == 3;
  const py::ssize_t B = *batch ? a.shape(0) : 1;
  const py::ssize_t rows = a.shape(a.ndim() - 2), cols = a.shape(a.ndim() - 1);
  if (rows < 1 || cols < 1) throw std::invalid_argument("power: empty tile map");
  std::vector<model::PowerMap> maps(B);
  const double* p = a.data();
  // The one check a tile map from an array needs (its size is right by construction); done here
  // because PowerMap::validate formats a message per tile (~0.7 us each).
  for (py::ssize_t n = 0; n < B * rows * cols; ++n)
    if (!std::isfinite(p[n])) {
      const py::ssize_t t = n % (rows * cols);
      throw std::invalid_argument(
          "power: " + (*batch ? "map " + std::to_string(n / (rows * cols)) + ", " : std::string()) +
          "tile (row " + std::to_string(t / cols) + ", col " + std::to_string(t % cols) + ") is " +
          std::to_string(p[n]) + "; every power must be a finite number of watts");
    }
  for (py::ssize_t b = 0; b < B; ++b) {
    maps[b].rows = static_cast<int>(rows);
    maps[b].cols = static_cast<int>(cols);
    maps[b].tile_watts.assign(p + b * rows * cols, p + (b + 1) * rows * cols);
  }
  return maps;
}

// The design, with a tile map from Python in place when one is given (see apply_power).
model::Design with_power(const PyDesign& d, const std::optional<DoubleArray>& power,
                         const std::string& target) {
  model::Design out = d.loaded().design;
  if (!power) return out;
  bool batch = false;
  std::vector<model::PowerMap> maps = tile_maps(*power, &batch);
  if (batch) throw std::invalid_argument("power: expected one (rows, cols) tile map here");
  apply_power(out, std::move(maps[0]), target);
  return out;
}

// A solve result and the wall time of the api::solve_design call that made it.
struct PySolveResult : api::SolveResult {
  explicit PySolveResult(api::SolveResult r) : api::SolveResult(std::move(r)) {}
  double cpp_seconds = 0;
};

std::shared_ptr<PySolveResult> solve_timed(const io::LoadedDesign& l,
                                           const api::SolveRequest& req) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = std::make_shared<PySolveResult>(api::solve_design(l, req));
  r->cpp_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// ---------------------------------------------------------------------------------------------
// FV system

// The operator's matrix in CSR form, probed with 27 coloured unit vectors: colour the nodes by
// (i mod 3, j mod 3, k mod 3); a row's 3x3x3 neighbourhood holds one node of each colour, so
// A applied to the indicator of a colour gives, in row n, the entry of the one column of that
// colour next to n. Entries outside the 7-point stencil must come out zero (checked).
struct Csr {
  std::vector<long long> indptr, indices;
  std::vector<double> data;
};

Csr probe_csr(const fv::LayeredOperator& op) {
  const int nx = op.nx(), ny = op.ny(), nz = op.nz();
  const std::size_t n = op.size();
  // Slots per row: 0 centre, 1..6 the neighbours -x, +x, -y, +y, -z, +z.
  std::vector<double> slot(n * 7, 0.0);
  std::vector<double> x(n), y(n);
  double max_diag = 0;
  for (int c = 0; c < 27; ++c) {
    const int ci = c / 9, cj = (c / 3) % 3, ck = c % 3;
    for (int i = 0; i < nx; ++i)
      for (int j = 0; j < ny; ++j)
        for (int k = 0; k < nz; ++k)
          x[op.index(i, j, k)] = (i % 3 == ci && j % 3 == cj && k % 3 == ck) ? 1.0 : 0.0;
    op.apply(x.data(), y.data());
    for (int i = 0; i < nx; ++i)
      for (int j = 0; j < ny; ++j)
        for (int k = 0; k < nz; ++k) {
          const std::size_t r = op.index(i, j, k);
          // Offset of the colour-c node next to (i, j, k): in {-1, 0, 1} per axis.
          auto off = [](int idx, int col) {
            const int d = ((col - idx) % 3 + 3) % 3;
            return d == 2 ? -1 : d;
          };
          const int di = off(i, ci), dj = off(j, cj), dk = off(k, ck);
          const int nonzero = (di != 0) + (dj != 0) + (dk != 0);
          const double v = y[r];
          if (nonzero > 1) {
            if (v != 0)
              throw std::runtime_error("fv_system: the operator couples node (" +
                                       std::to_string(i) + ", " + std::to_string(j) + ", " +
                                       std::to_string(k) + ") outside its 7-point stencil");
            continue;
          }
          int s = 0;
          if (di == -1) s = 1;
          if (di == 1) s = 2;
          if (dj == -1) s = 3;
          if (dj == 1) s = 4;
          if (dk == -1) s = 5;
          if (dk == 1) s = 6;
          const bool inside = i + di >= 0 && i + di < nx && j + dj >= 0 && j + dj < ny &&
                              k + dk >= 0 && k + dk < nz;
          if (!inside) {
            if (v != 0) throw std::runtime_error("fv_system: nonzero coupling outside the grid");
            continue;
          }
          slot[r * 7 + s] = v;
          if (s == 0) max_diag = std::max(max_diag, std::abs(v));
        }
  }
  (void)max_diag;
  Csr m;
  m.indptr.reserve(n + 1);
  m.indptr.push_back(0);
  const long long sx = static_cast<long long>(ny) * nz, sy = nz;
  // Column offsets of the slots, in increasing column order for sorted CSR rows.
  const std::array<int, 7> order{1, 3, 5, 0, 6, 4, 2};
  for (std::size_t r = 0; r < n; ++r) {
    const long long base = static_cast<long long>(r);
    const std::array<long long, 7> col{base,      base - sx, base + sx, base - sy,
                                       base + sy, base - 1,  base + 1};
    for (int s : order) {
      const double v = slot[r * 7 + s];
      if (v == 0 && s != 0) continue;
      m.indices.push_back(col[s]);
      m.data.push_back(v);
    }
    m.indptr.push_back(static_cast<long long>(m.indices.size()));
  }
  return m;
}

template <class T>
py::array_t<T> to_array(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(heap->size())}, {sizeof(T)}, heap->data(), owner);
}

py::dict grid_info(const model::Grid& g) {
  py::dict info;
  info["shape"] = py::make_tuple(g.nx(), g.ny(), g.nz());
  info["x"] = to_array(std::vector<double>(g.x));
  info["y"] = to_array(std::vector<double>(g.y));
  info["z"] = to_array(std::vector<double>(g.z));
  return info;
}

const double* field_data(const DoubleArray& t, const model::Grid& g, const char* what) {
  if (static_cast<std::size_t>(t.size()) != g.size())
    throw std::invalid_argument(std::string(what) + ": the field has " + std::to_string(t.size()) +
                                " values, but the grid has " + std::to_string(g.size()) +
                                " nodes (" + std::to_string(g.nx()) + " x " +
                                std::to_string(g.ny()) + " x " + std::to_string(g.nz()) + ")");
  return t.data();
}

// ---------------------------------------------------------------------------------------------
// Trust layer

py::dict confidence_dict(const trust::Confidence& c) {
  py::dict d;
  d["score"] = c.score;
  d["est_max_error_K"] = c.est_max_error_K;
  d["est_mean_error_K"] = c.est_mean_error_K;
  d["est_max_error_at_m"] = py::make_tuple(c.est_max_at_m[0], c.est_max_at_m[1], c.est_max_at_m[2]);
  d["rel_residual"] = c.rel_residual;
  d["tolerance_K"] = c.tolerance_K;
  d["trusted"] = c.trusted;
  d["estimate"] = name(trust::kErrorEstimateNames, c.method);
  return d;
}

py::tuple refine_field(const PyDesign& d, const DoubleArray& t, double tol_K,
                       const std::optional<DoubleArray>& power, const std::string& target) {
  const model::Design design = with_power(d, power, target);
  const model::Grid g = design_grid(design);
  const double* p = field_data(t, g, "refine");
  std::vector<double> v(p, p + g.size());
  trust::RefineToErrorResult r;
  const solve::SolverConfig solver = d.loaded().solver;
  {
    py::gil_scoped_release nogil;
    const fv::System sys = fv::discretize(design, g);
    r = trust::refine_to_error(sys, v, solver, tol_K);
  }
  py::dict info;
  info["iterations"] = r.iterations;
  info["seconds"] = r.seconds;
  info["rel_tol_reached"] = r.rel_tol_reached;
  info["est_max_error_K"] = r.est_max_error_K;
  info["reached"] = r.reached;
  return py::make_tuple(owning(std::move(v), {g.nx(), g.ny(), g.nz()}), info);
}

// ---------------------------------------------------------------------------------------------
// Surrogate

#ifdef HEATOP_WITH_TORCH
struct PySurrogate {
  std::shared_ptr<surrogate::OperatorModel> model;
  std::string path;
};

// The index of the operator input a tile map feeds: `name`, or the first power-map input.
std::size_t map_input(const surrogate::OperatorConfig& cfg, const std::string& name) {
  std::string names;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
    const auto& in = cfg.inputs[i];
    if (in.type != surrogate::InputType::power_map) continue;
    if (name.empty() || in.name == name) return i;
    names += (names.empty() ? "" : ", ") + in.name;
  }
  throw std::invalid_argument(name.empty()
                                  ? std::string("this operator has no power-map input")
                                  : "no power-map input named '" + name + "'; inputs: " + names);
}
#endif

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "heatop: finite-volume thermal solver for 3D ICs (C++ core; see docs/python.md)";
  m.attr("__version__") = HEATOP_VERSION;
#ifdef HEATOP_WITH_TORCH
  m.attr("has_surrogate") = true;
#else
  m.attr("has_surrogate") = false;
#endif

  // ---- Design ------------------------------------------------------------------------------
  py::class_<PyDesign, std::shared_ptr<PyDesign>>(m, "Design", R"(A validated heatop design.

Create with heatop.load_design(), heatop.design_from_dict() or the importers. Quantities are SI
(m, W, K). set() overrides any design-file key as `heatop solve --set` does.)")
      .def_property_readonly("name", [](const PyDesign& d) { return d.loaded().design.name; })
      .def_property_readonly(
          "lx", [](const PyDesign& d) { return d.loaded().design.lx; }, "die width (m)")
      .def_property_readonly(
          "ly", [](const PyDesign& d) { return d.loaded().design.ly; }, "die length (m)")
      .def_property_readonly(
          "lz", [](const PyDesign& d) { return d.loaded().design.lz(); }, "stack height (m)")
      .def_property_readonly(
          "shape",
          [](const PyDesign& d) {
            const model::Grid g = design_grid(d.loaded().design);
            return py::make_tuple(g.nx(), g.ny(), g.nz());
          },
          "node grid (nx, ny, nz) of a solve")
      .def_property_readonly("layer_names",
                             [](const PyDesign& d) {
                               std::vector<std::string> n;
                               for (const auto& l : d.loaded().design.layers) n.push_back(l.name);
                               return n;
                             })
      .def_property_readonly(
          "total_power", [](const PyDesign& d) { return d.loaded().design.total_power(); }, "W")
      .def_property_readonly(
          "reference_temperature",
          [](const PyDesign& d) { return model::reference_temperature(d.loaded().design); }, "K")
      .def_property_readonly("path", [](const PyDesign& d) { return d.loaded().path; })
      .def_property_readonly("overrides", [](const PyDesign& d) { return d.overrides; })
      .def_property_readonly(
          "warnings", [](const PyDesign& d) { return d.warnings; },
          "what an importer could not model")
      .def_property_readonly(
          "effective_yaml", [](const PyDesign& d) { return io::to_yaml(d.loaded().effective); },
          "the design tree after overrides, as YAML")
      .def(
          "_set",
          [](PyDesign& d, const std::string& assignment) {
            // Setting a key again replaces its earlier override (the list stays short when a
            // key is swept), unless a later override reaches into that key's value.
            const std::string key = assignment.substr(0, assignment.find('='));
            std::vector<std::string> ov = d.overrides;
            for (std::size_t i = 0; i < ov.size(); ++i) {
              if (ov[i].substr(0, ov[i].find('=')) != key) continue;
              bool nested = false;
              for (std::size_t j = i + 1; j < ov.size(); ++j)
                nested = nested || ov[j].rfind(key + ".", 0) == 0;
              if (!nested) {
                ov.erase(ov.begin() + static_cast<std::ptrdiff_t>(i));
                break;
              }
            }
            ov.push_back(assignment);
            PyDesign::Loaded l;
            {
              py::gil_scoped_release nogil;
              l = d.load(ov);
            }
            d.assign(std::move(l), std::move(ov));
          },
          py::arg("assignment"))
      .def("copy", [](const PyDesign& d) { return std::make_shared<PyDesign>(d); })
      .def("__repr__", [](const PyDesign& d) {
        const model::Grid g = design_grid(d.loaded().design);
        return "<heatop.Design '" + d.loaded().design.name + "' " +
               std::to_string(d.loaded().design.layers.size()) + " layers, grid " +
               std::to_string(g.nx()) + "x" + std::to_string(g.ny()) + "x" +
               std::to_string(g.nz()) + ">";
      });

  m.def(
      "load_design",
      [](const std::string& path, const std::vector<std::string>& overrides) {
        interop::DesignSource s;
        s.path = path;
        s.overrides = overrides;
        return load_source(s);
      },
      py::arg("path"), py::arg("overrides") = std::vector<std::string>{},
      "Loads a design file (or a 3D-ICE .stk) with 'key=value' overrides.");
  m.def(
      "_parse_design",
      [](const std::string& text, const std::string& name, const std::string& base_dir) {
        auto d = std::make_shared<PyDesign>();
        d->from_text = true;
        d->text = text;
        d->name = name;
        d->base_dir = base_dir;
        PyDesign::Loaded l;
        {
          py::gil_scoped_release nogil;
          l = d->load({});
        }
        d->assign(std::move(l), {});
        return d;
      },
      py::arg("text"), py::arg("name"), py::arg("base_dir"));
  m.def(
      "import_hotspot",
      [](const std::string& config, const std::string& flp, const std::string& ptrace,
         const std::string& materials, const std::string& lcf,
         const std::vector<std::string>& overrides) {
        interop::DesignSource s;
        s.path = config;
        s.hotspot_flp = flp;
        s.hotspot_ptrace = ptrace;
        s.hotspot_materials = materials;
        s.hotspot_lcf = lcf;
        s.overrides = overrides;
        return load_source(s);
      },
      py::arg("config"), py::arg("flp"), py::arg("ptrace"), py::arg("materials") = "",
      py::arg("lcf") = "", py::arg("overrides") = std::vector<std::string>{},
      "Imports a HotSpot model (.config, .flp, .ptrace[, .materials, .lcf]) as a Design.");
  m.def(
      "import_3dice",
      [](const std::string& stk, const std::vector<std::string>& overrides) {
        interop::DesignSource s;
        s.path = stk;
        s.overrides = overrides;
        return load_source(s);
      },
      py::arg("stk"), py::arg("overrides") = std::vector<std::string>{},
      "Imports a 3D-ICE stack file (.stk) as a Design.");

  // ---- Solving ------------------------------------------------------------------------------
  py::class_<PySolveResult, std::shared_ptr<PySolveResult>>(m, "SolveResult",
                                                            "The result of heatop.solve().")
      .def_property_readonly(
          "T",
          [](py::object self) {
            const auto& r = self.cast<const PySolveResult&>();
            return view(
                r.field.values.data(),
                {static_cast<py::ssize_t>(r.field.nx()), static_cast<py::ssize_t>(r.field.ny()),
                 static_cast<py::ssize_t>(r.field.nz())},
                self);
          },
          "temperature (K), shape (nx, ny, nz), a view of the C++ buffer; NaN in void regions")
      .def_property_readonly(
          "x",
          [](py::object self) {
            const auto& r = self.cast<const PySolveResult&>();
            return view(r.field.x.data(), {static_cast<py::ssize_t>(r.field.x.size())}, self);
          },
          "node x coordinates (m)")
      .def_property_readonly(
          "y",
          [](py::object self) {
            const auto& r = self.cast<const PySolveResult&>();
            return view(r.field.y.data(), {static_cast<py::ssize_t>(r.field.y.size())}, self);
          },
          "node y coordinates (m)")
      .def_property_readonly(
          "z",
          [](py::object self) {
            const auto& r = self.cast<const PySolveResult&>();
            return view(r.field.z.data(), {static_cast<py::ssize_t>(r.field.z.size())}, self);
          },
          "node z coordinates (m)")
      .def_property_readonly(
          "summary", [](const PySolveResult& r) { return to_py(r.summary); },
          "summary.json's content (statistics, energy balance, solver report) as a dict")
      .def_property_readonly("converged", [](const PySolveResult& r) { return r.converged(); })
      .def_property_readonly("iterations",
                             [](const PySolveResult& r) { return r.report.iterations; })
      .def_property_readonly("rel_residual",
                             [](const PySolveResult& r) { return r.report.rel_residual; })
      .def_property_readonly(
          "cpp_seconds", [](const PySolveResult& r) { return r.cpp_seconds; },
          "wall time of the C++ work for this result: its api::solve_design call, or for a batch "
          "the api::solve_designs call divided by the batch size")
      .def_property_readonly("solver_seconds",
                             [](const PySolveResult& r) { return r.report.seconds; })
      .def_property_readonly(
          "peak", [](const PySolveResult& r) { return r.stats.t_max; }, "T_max (K)")
      .def_property_readonly(
          "hotspot",
          [](const PySolveResult& r) {
            return py::make_tuple(r.stats.hotspot_m[0], r.stats.hotspot_m[1], r.stats.hotspot_m[2]);
          },
          "where T_max sits (m)")
      .def_property_readonly(
          "energy_balance", [](const PySolveResult& r) { return r.balance.rel_mismatch; },
          "|power in - heat out| / power in")
      .def_property_readonly("shape",
                             [](const PySolveResult& r) {
                               return py::make_tuple(r.field.nx(), r.field.ny(), r.field.nz());
                             })
      .def("__repr__", [](const PySolveResult& r) {
        return "<heatop.SolveResult T_max " + std::to_string(r.stats.t_max) + " K, " +
               std::to_string(r.report.iterations) + " iterations, " +
               (r.report.converged ? "converged" : "not converged") + ">";
      });

  m.def(
      "_solve",
      [](const PyDesign& d, int threads) {
        api::SolveRequest req;
        req.threads = threads;
        const auto snap = d.snapshot;
        py::gil_scoped_release nogil;
        return solve_timed(*snap, req);
      },
      py::arg("design"), py::arg("threads") = 0);
  m.def(
      "_solve_power",
      [](const PyDesign& d, const DoubleArray& power, const std::string& target,
         int threads) -> py::object {
        bool batch = false;
        std::vector<model::PowerMap> maps = tile_maps(power, &batch);
        std::vector<io::LoadedDesign> designs;
        designs.reserve(maps.size());
        for (auto& map : maps) {
          designs.push_back(d.loaded());
          apply_power(designs.back().design, std::move(map), target);
        }
        std::vector<std::shared_ptr<PySolveResult>> out;
        {
          py::gil_scoped_release nogil;
          api::SolveRequest req;
          req.threads = threads;
          if (designs.size() == 1) {
            out.push_back(solve_timed(designs[0], req));
          } else {
            // One discretization and multigrid hierarchy for the whole batch.
            const auto t0 = std::chrono::steady_clock::now();
            std::vector<api::SolveResult> rs = api::solve_designs(designs, req);
            const double each =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
                rs.size();
            for (auto& r : rs) {
              out.push_back(std::make_shared<PySolveResult>(std::move(r)));
              out.back()->cpp_seconds = each;
            }
          }
        }
        if (!batch) return py::cast(out[0]);
        return py::cast(out);
      },
      py::arg("design"), py::arg("power"), py::arg("power_target") = "top", py::arg("threads") = 0);

  m.def(
      "_fv_system",
      [](const PyDesign& d, const std::optional<DoubleArray>& power, const std::string& target) {
        const model::Design design = with_power(d, power, target);
        Csr a;
        fv::System sys;
        {
          py::gil_scoped_release nogil;
          sys = fv::discretize(design);
          a = probe_csr(*sys.op);
        }
        py::dict out = grid_info(sys.grid);
        out["n"] = sys.grid.size();
        out["indptr"] = to_array(std::move(a.indptr));
        out["indices"] = to_array(std::move(a.indices));
        out["data"] = to_array(std::move(a.data));
        out["b"] = to_array(std::move(sys.rhs));
        out["power"] = to_array(std::move(sys.power));
        out["power_in"] = sys.power_in;
        out["reference_temperature"] = model::reference_temperature(d.loaded().design);
        if (sys.op->has_footprints()) {
          std::vector<double> act(sys.grid.size());
          for (int i = 0; i < sys.grid.nx(); ++i)
            for (int j = 0; j < sys.grid.ny(); ++j)
              for (int k = 0; k < sys.grid.nz(); ++k)
                act[sys.grid.index(i, j, k)] = sys.op->node_active(i, j, k) ? 1.0 : 0.0;
          out["active"] = owning(std::move(act), {sys.grid.nx(), sys.grid.ny(), sys.grid.nz()});
        }
        return out;
      },
      py::arg("design"), py::arg("power") = py::none(), py::arg("power_target") = "top");
  m.def(
      "residual",
      [](const PyDesign& d, const DoubleArray& t, const std::optional<DoubleArray>& power,
         const std::string& target) {
        const model::Design design = with_power(d, power, target);
        const model::Grid g = design_grid(design);
        const double* p = field_data(t, g, "residual");
        std::vector<double> r(g.size());
        {
          py::gil_scoped_release nogil;
          const fv::System sys = fv::discretize(design, g);
          sys.op->residual(sys.rhs.data(), p, r.data());
        }
        return owning(std::move(r), {g.nx(), g.ny(), g.nz()});
      },
      py::arg("design"), py::arg("T"), py::arg("power") = py::none(),
      py::arg("power_target") = "top",
      "b - A T (W per node) of the FV system, matrix-free; shape (nx, ny, nz).");
  m.def(
      "estimate_error",
      [](const PyDesign& d, const DoubleArray& t, double tol_K,
         const std::optional<DoubleArray>& power, const std::string& target,
         const std::string& estimate) {
        trust::ConfidenceOptions co;
        co.tolerance_K = tol_K;
        co.method = parse(trust::kErrorEstimateNames, estimate, "estimate");
        const model::Design design = with_power(d, power, target);
        const model::Grid g = design_grid(design);
        const double* p = field_data(t, g, "estimate_error");
        std::vector<double> v(p, p + g.size());
        trust::Confidence c;
        {
          py::gil_scoped_release nogil;
          const fv::System sys = fv::discretize(design, g);
          c = trust::estimate_confidence(sys, v, co);
        }
        py::dict out = confidence_dict(c);
        out["error"] = owning(std::move(c.error_field), {g.nx(), g.ny(), g.nz()});
        return out;
      },
      py::arg("design"), py::arg("T"), py::arg("tol_K") = 0.5, py::arg("power") = py::none(),
      py::arg("power_target") = "top", py::arg("estimate") = "coarse",
      "The error of a temperature field against the FV solution, estimated in kelvin "
      "(docs/trust.md; estimate 'coarse' or 'vcycles'): est_max_error_K, score, trusted, "
      "estimate, error (T_fv - T estimated).");
  m.def("refine", &refine_field, py::arg("design"), py::arg("T"), py::arg("tol_K") = 0.01,
        py::arg("power") = py::none(), py::arg("power_target") = "top",
        "Refines a field by warm-started FV solves until its estimated max error is <= tol_K; "
        "returns (T_refined, info).");

  // ---- Placement optimization ----------------------------------------------------------------
  m.def(
      "_optimize",
      [](const std::string& problem, const std::optional<std::string>& model,
         std::optional<bool> fd_only, const std::vector<std::string>& overrides, double tolerance_K,
         const std::string& checks, int shortlist) {
        api::OptimizeRequest req;
        req.problem = problem;
        req.overrides = overrides;
        req.model_dir = model.value_or("");
        req.fd_only = fd_only.value_or(!model.has_value());
        req.tolerance_K = tolerance_K;
        req.checks = parse(optimize::kChecksNames, checks, "checks");
        req.shortlist = shortlist;
        // As the CLI's: a solved model without LibTorch, a model of another chip refused before
        // any work.
        optimize::PredictorFactory trained;
#ifdef HEATOP_WITH_TORCH
        trained = [](const std::string& dir, const model::Design& design) {
          std::shared_ptr<surrogate::SurrogateModel> m =
              surrogate::SurrogateModel::load(dir, torch::kCPU);
          m->problem().inputs_of(design);
          return surrogate::hybrid_predictors(m);
        };
#endif
        req.predictors = [trained](const std::string& dir, const model::Design& design) {
          return surrogate::model_predictors(dir, design, trained);
        };
        api::OptimizeResult r;
        {
          py::gil_scoped_release nogil;
          r = api::optimize_placement(req);
        }
        py::dict out = to_py(r.summary);
        out["start_peak_K"] = r.start_peak_K;
        out["final_peak_K"] = r.final_peak_K;
        return out;
      },
      py::arg("problem"), py::arg("model") = py::none(), py::arg("fd_only") = py::none(),
      py::arg("overrides") = std::vector<std::string>{}, py::arg("tolerance_K") = 0.5,
      py::arg("checks") = "best", py::arg("shortlist") = 5);

  // ---- Surrogate ---------------------------------------------------------------------------
#ifdef HEATOP_WITH_TORCH
  py::class_<PySurrogate, std::shared_ptr<PySurrogate>>(
      m, "Surrogate", "A trained neural operator (heatop train), with error estimates.")
      .def_static(
          "load",
          [](const std::string& path, const std::string& device) {
            auto s = std::make_shared<PySurrogate>();
            s->path = path;
            py::gil_scoped_release nogil;
            // As the CLI's: a solved or response model on the CPU needs no network.
            if (device == "cpu") s->model = surrogate::load_linear_model(path);
            if (!s->model)
              s->model = surrogate::SurrogateModel::load(path, surrogate::parse_device(device));
            return s;
          },
          py::arg("path"), py::arg("device") = "cpu")
      .def_property_readonly("family",
                             [](const PySurrogate& s) { return s.model->problem().base().name; })
      .def_property_readonly("info", [](const PySurrogate& s) { return to_py(s.model->info()); })
      .def_property_readonly(
          "network", [](const PySurrogate& s) { return s.model->config().network.describe(); })
      .def_property_readonly("input_names",
                             [](const PySurrogate& s) {
                               std::vector<std::string> n;
                               for (const auto& in : s.model->config().inputs) n.push_back(in.name);
                               return n;
                             })
      .def(
          "predict",
          [](PySurrogate& s, const DoubleArray& maps, std::shared_ptr<PyDesign> design,
             double tol_K, const std::string& input, bool estimate) {
            bool batch = false;
            std::vector<model::PowerMap> pm = tile_maps(maps, &batch);
            const surrogate::Problem& prob = s.model->problem();
            const std::size_t idx = map_input(prob.config(), input);
            const model::Design base = design ? design->loaded().design : prob.base();
            const model::Grid g = design_grid(base);
            const std::size_t n = g.size(), B = pm.size();
            std::vector<double> t(B * n), err(B, NAN);
            {
              py::gil_scoped_release nogil;
              const surrogate::InputValues v0 = prob.inputs_of(base);
              std::vector<surrogate::InputValues> in(B, v0);
              for (std::size_t b = 0; b < B; ++b) {
                pm[b].source = "python";
                in[b].maps[idx] = pm[b];
              }
              std::vector<field::Field3D> f = s.model->predict(in, g);
              // The estimate of heatop predict (the same fine-sweep rule), numbers only, with
              // one discretization and multigrid hierarchy for the batch (only the maps differ).
              std::unique_ptr<trust::ConfidenceChecker> checker;
              if (estimate && B > 0) {
                trust::ConfidenceOptions co;
                co.tolerance_K = tol_K;
                co.fine_sweeps = surrogate::coarse_estimate_sweeps(*s.model, g);
                co.error_field = false;
                checker =
                    std::make_unique<trust::ConfidenceChecker>(prob.design_with(in[0]), g, co);
              }
              for (std::size_t b = 0; b < B; ++b) {
                std::memcpy(t.data() + b * n, f[b].values.data(), n * sizeof(double));
                if (checker)
                  err[b] = checker->check(prob.design_with(in[b]), f[b].values).est_max_error_K;
              }
              // As heatop.solve's: NaN where there is no material (layers with footprints).
              bool footprints = false;
              for (const auto& l : base.layers) footprints |= l.has_footprint();
              if (footprints) {
                const fv::System sys = fv::discretize(base, g);
                for (std::size_t b = 0; b < B; ++b)
                  api::mask_void_nodes(*sys.op, sys.op->box(), t.data() + b * n);
              }
            }
            py::array T =
                batch ? owning(std::move(t), {static_cast<py::ssize_t>(B), g.nx(), g.ny(), g.nz()})
                      : owning(std::move(t), {g.nx(), g.ny(), g.nz()});
            py::array E = batch ? owning(std::move(err), {static_cast<py::ssize_t>(B)})
                                : py::array(py::float_(err[0]));
            return py::make_tuple(T, E);
          },
          py::arg("maps"), py::arg("design") = nullptr, py::arg("tol_K") = 0.5,
          py::arg("input") = "", py::arg("estimate_error") = true,
          "Temperatures (B, nx, ny, nz) for tile maps (B, rows, cols) in W on `design`'s grid "
          "(default: the training design) and the estimated max error (K) of each.")
      .def(
          "predict_design",
          [](PySurrogate& s, const PyDesign& d) {
            const auto snap = d.snapshot;
            const model::Grid g = design_grid(snap->design);
            std::vector<double> t;
            {
              py::gil_scoped_release nogil;
              t = s.model->predict(snap->design, g).values;
            }
            return owning(std::move(t), {g.nx(), g.ny(), g.nz()});
          },
          py::arg("design"), "The temperature of a design of the model's family on its grid.")
      .def_static("refine", &refine_field, py::arg("design"), py::arg("T"), py::arg("tol_K") = 0.01,
                  py::arg("power") = py::none(), py::arg("power_target") = "top",
                  "heatop.refine: warm-started FV refinement to an estimated max error tol_K.");
#endif
}
