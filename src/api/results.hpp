#pragma once
// The results folder of a temperature field, shared by solving and predicting (the files are
// listed in docs/design-file.md), and the summary blocks every results folder has.

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "field/field.hpp"
#include "field/stats.hpp"
#include "fv/system.hpp"
#include "io/design_file.hpp"
#include "io/output_dir.hpp"
#include "io/probes.hpp"
#include "model/grid.hpp"
#include "model/names.hpp"

namespace heatop::api {

/// Which 3D field files a results folder gets (`heatop solve --fields`): at full-chip sizes
/// T.npy and the VTK file are gigabytes each, and writing them takes longer than the solve.
enum class FieldFiles { all, npy, none };
inline constexpr NameTable<FieldFiles, 3> kFieldFilesNames{
    {{FieldFiles::all, "all", "T.npy and T.vti/T.vtr (default)"},
     {FieldFiles::npy, "npy", "T.npy only"},
     {FieldFiles::none, "none", "no 3D field file: summary, pictures, probes"}}};

struct ResultContext {
  const io::LoadedDesign* loaded = nullptr;
  std::string design_path;
  std::vector<std::string> overrides;
  std::string command_line;
  std::vector<io::Probe> probes;
  std::size_t void_nodes = 0;
  FieldFiles field_files = FieldFiles::all;
};

using field::FieldStats;

/// Adds power_in_W, heat_out_W (per face) and energy_balance_rel to `summary`.
void add_energy_balance(const fv::EnergyBalance& bal, nlohmann::json& summary);

/// Writes summary.json (listing every file), then report.html (report/report.hpp) from the
/// staged files, and moves the folder into place.
void finish_results(io::OutputDir& out, nlohmann::json& summary);

/// Refuses grids whose solve would not fit in the available memory (model::check_grid_memory).
void check_memory(std::size_t nodes);

/// Adds the field statistics (T_max_K, T_min_K, T_mean_K, hotspot_mm, layers, grid) to
/// `summary`.
void add_field_summary(const FieldStats& st, const model::Grid& grid, std::size_t void_nodes,
                       nlohmann::json& summary);

/// Peak resident memory of this process so far, bytes (getrusage); 0 if unknown.
std::size_t peak_memory_bytes();

/// A temperature field as write_field_results reads it: whole in this process (WholeField), or
/// spread over the ranks of an MPI run, each holding its own columns (the PETSc backend's
/// result). Every call is collective over the ranks that share the field; what it returns is
/// meaningful on root() only. NaN values (void nodes) are skipped in the statistics.
class FieldReader {
 public:
  virtual ~FieldReader() = default;
  /// Whether this process writes the files (and gets the values below).
  virtual bool root() const = 0;
  virtual FieldStats stats(const model::Grid& grid, const model::Design& d) const = 0;
  /// The largest value of every node plane k.
  virtual std::vector<double> plane_maxima() const = 0;
  /// The whole x-y plane at node plane k, row-major in (i, j).
  virtual std::vector<double> plane(int k) const = 0;
  /// The field at each probe (trilinear interpolation).
  virtual std::vector<double> probes(const std::vector<io::Probe>& probes) const = 0;
  /// Writes T.npy (shape nx, ny, nz) at `path` (the root's path; other ranks pass any).
  virtual void write_npy(const std::string& path) const = 0;
  /// Writes the VTK file: ImageData on uniform axes, else RectilinearGrid.
  virtual void write_vtk(const std::string& path) const = 0;
};

/// A field held whole in this process.
class WholeField : public FieldReader {
 public:
  explicit WholeField(const field::Field3D& f) : f_(f) {}
  bool root() const override { return true; }
  FieldStats stats(const model::Grid& grid, const model::Design& d) const override;
  std::vector<double> plane_maxima() const override;
  std::vector<double> plane(int k) const override;
  std::vector<double> probes(const std::vector<io::Probe>& probes) const override;
  void write_npy(const std::string& path) const override;
  void write_vtk(const std::string& path) const override;

 private:
  const field::Field3D& f_;
};

/// Computes the field statistics, adds them to `summary` (add_field_summary) and writes T.npy,
/// T.vti or T.vtr, the PNG maps, probes.csv, design.yaml and manifest.json into `out`.
/// Collective over the ranks that share `field`; `out` is used on its root() only (other
/// ranks may pass null). Returns the statistics on the root.
FieldStats write_field_results(io::OutputDir* out, const ResultContext& ctx,
                               const model::Grid& grid, const FieldReader& field,
                               nlohmann::json& summary);
/// The same for a field held whole in this process.
FieldStats write_field_results(io::OutputDir& out, const ResultContext& ctx,
                               const model::Grid& grid, const field::Field3D& field,
                               nlohmann::json& summary);

}  // namespace heatop::api
