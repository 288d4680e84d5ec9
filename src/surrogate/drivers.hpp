#pragma once
// The library drivers under `heatop predict`, `heatop eval` and `heatop optimize --model`
// (training is surrogate::train, trainer.hpp): predicting a design with its confidence estimate
// and optional FV refinement, writing the results folder, and comparing a model with FV (and
// Celsius reference files) map by map. Each returns a result object; the CLI only prints.

#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/results.hpp"
#include "api/solve.hpp"
#include "field/field.hpp"
#include "field/stats.hpp"
#include "fv/system.hpp"
#include "io/design_file.hpp"
#include "io/output_dir.hpp"
#include "io/probes.hpp"
#include "model/grid.hpp"
#include "optimize/hybrid.hpp"
#include "surrogate/evaluation.hpp"
#include "surrogate/operator_model.hpp"
#include "trust/confidence.hpp"

namespace heatop::surrogate {

/// Keeps the calling thread's OpenMP thread count across LibTorch calls. LibTorch's first
/// parallel operation in a thread sets that thread's OpenMP thread count to its own default
/// (the physical cores as its cpuinfo counts them: 1 of 2 on the 2-vCPU test machine), which
/// would then also run heatop's finite-volume solves that follow in the thread (confidence
/// estimates, refinements, hybrid shortlist and verification solves) on fewer threads.
class KeepOpenMpThreads {
 public:
  KeepOpenMpThreads();
  ~KeepOpenMpThreads();
  KeepOpenMpThreads(const KeepOpenMpThreads&) = delete;
  KeepOpenMpThreads& operator=(const KeepOpenMpThreads&) = delete;

 private:
  int threads_;
};

/// The block that names a model in summary.json and eval.json: path, training steps, heatop
/// version, network, design family, normalisation.
nlohmann::json model_identity(const OperatorModel& model, const std::string& model_path);

/// The fine-level sweeps the coarse error estimate of `model`'s prediction on `grid` takes
/// (trust::ConfidenceOptions::fine_sweeps): 1 where the grid has fewer intervals per lateral
/// axis than a modal model's modes, so that the prediction resolves more than the grid and its
/// error against FV is mostly FV's own grid-scale error (within 2x of the truth on 100 % of 20
/// designs instead of 65 %, solved C1 at 41 x 41 x 21: bench/results/hybrid-lab-notes.md); else 0.
int coarse_estimate_sweeps(const OperatorModel& model, const model::Grid& grid);

/// The confidence block of summary.json (`seconds`: time of the estimate, or of the refinement).
nlohmann::json confidence_json(const trust::Confidence& c, double seconds);

struct PredictRequest {
  std::string model_path;            // as given, for the summary's identity block
  std::string device = "cpu";        // as given, for the summary
  double tolerance_K = 0.5;          // confidence tolerance; with refine, the refinement target
  bool refine = false;               // refine the prediction by a warm-started FV solve
  std::string refine_method = "cg";  // a name of trust::kRefineMethodNames
  std::string estimate = "coarse";   // a name of trust::kErrorEstimateNames
};

struct Refinement {
  std::string method;
  trust::RefineToErrorResult result;
  double cold_start_K = 0;  // the uniform start of the comparison solve
  trust::Confidence after;  // the estimate of the refined field
};

struct PredictResult {
  model::Grid grid;
  field::Field3D field;                     // K: the prediction, or the refined field with refine
  double seconds = 0;                       // the network's prediction
  trust::Confidence prediction_confidence;  // of the prediction (its error field: error.png)
  double confidence_seconds = 0;
  std::optional<Refinement> refinement;
  fv::EnergyBalance balance;   // the FV operator's balance of `field`
  field::FieldStats stats;     // of `field`
  std::size_t void_nodes = 0;  // nodes without material: NaN in `field`
  /// summary.json without the field statistics and the file list: confidence, refinement,
  /// source, surrogate identity, energy balance.
  nlohmann::json summary;
  /// The confidence block of the field returned (the refined one with refine).
  const trust::Confidence& confidence() const {
    return refinement ? refinement->after : prediction_confidence;
  }
};

/// Predicts a design on its own grid, estimates the prediction's error with the FV operator and,
/// with request.refine, refines it until the estimate is below the tolerance. Throws
/// std::runtime_error when the grid does not fit in memory and std::invalid_argument when the
/// design is not of the model's family.
PredictResult predict_design(OperatorModel& model, const io::LoadedDesign& design,
                             const PredictRequest& request);

/// Writes the results folder of a prediction: error.png and error.vti/.vtr (the prediction's
/// estimated error), then T.npy, T.vti/.vtr, the PNG maps, probes.csv, design.yaml,
/// manifest.json and summary.json; commits `out`.
void write_predict_results(io::OutputDir& out, const PredictResult& result,
                           const io::LoadedDesign& design, const api::RunInfo& info);

/// The one-line report `heatop predict` prints.
std::string predict_line(const PredictResult& result, const std::string& design_name,
                         const std::string& output);
/// The line `heatop predict --refine` prints before it ("" without refinement).
std::string refinement_line(const PredictResult& result);

/// "NXxNYxNZ" with at least 2 nodes each; throws std::invalid_argument otherwise.
std::array<int, 3> parse_grid(const std::string& text);

/// Reads a Celsius reference CSV (header, then x_mm, y_mm, z_mm, T_K rows). False when the file
/// is missing or has no rows.
bool read_reference_csv(const std::string& path, std::vector<io::Probe>& points,
                        std::vector<double>& t_K);

/// The Celsius reference file of a power map: MAP_STEM-celsius3d.csv next to it.
std::string celsius_reference_path(const std::string& map);

struct EvalRequest {
  std::string model_path;           // as given, for eval.json
  std::string design;               // design file the maps go into
  std::vector<std::string> maps;    // power-map files; empty: the design's own map
  std::string grid = "101x101x51";  // "": the design's own grid
};

/// The grid `heatop eval` uses without --grid: "101x101x51", or "" (the design's own grid) for
/// a response model, which predicts on that grid only.
std::string default_eval_grid(const OperatorModel& model);

struct CelsiusComparison {
  std::string file;
  std::size_t points = 0;
  ErrorMetrics metrics;
};

struct MapEvaluation {
  std::string map;                           // the map file, or the design file for its own map
  ErrorMetrics fv;                           // prediction vs the FV solution on the grid
  std::optional<CelsiusComparison> celsius;  // prediction vs the Celsius reference, if present
};

struct EvalResult {
  std::string grid;  // as given
  std::vector<MapEvaluation> maps;
  double mean_rel_l2_rise = 0, max_rel_l2_rise = 0, max_abs_K = 0;
  nlohmann::json summary;  // eval.json without command_line
};

/// Progress of evaluate_maps (both optional).
struct EvalCallbacks {
  std::function<void()> on_start;                    // inputs checked, before the first map
  std::function<void(const MapEvaluation&)> on_map;  // after each map
};

/// Predicts and FV-solves every map (put into the model's first power-map input of the design)
/// on the grid and compares them (and with the map's Celsius reference file, when present).
/// Throws std::invalid_argument for a bad grid, design or map, or a model without a power-map
/// input.
EvalResult evaluate_maps(OperatorModel& model, const EvalRequest& request,
                         const EvalCallbacks& callbacks = {});

/// Writes eval.json (with `command_line`) and eval.csv into `out` and commits it.
void write_eval_results(io::OutputDir& out, const EvalResult& result,
                        const std::string& command_line);

/// The header, row and final lines `heatop eval` prints.
std::string eval_header_line();
std::string eval_row_line(const MapEvaluation& row);
std::string eval_summary_line(const EvalResult& result);

}  // namespace heatop::surrogate
