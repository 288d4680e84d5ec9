#pragma once
// report.html: one self-contained HTML page per results folder (solve, predict, transient, import,
// optimize), rendered from the folder's own files, so that `heatop report DIR` regenerates the
// same page later. The page needs no network: CSS and JavaScript are inline and the pictures are
// data: URIs. It holds the summary in words and tables (every number tied to its summary.json
// entry by a data-key JSON pointer), the top surface drawn from T.npy with a temperature readout
// under the mouse, the PNG heat maps with their colour bars, the convergence or optimization
// plot, and the inputs (command line, design.yaml).

#include <string>

#include "io/output_dir.hpp"

namespace heatop::report {

/// The HTML of the report of the results folder `folder` (summary.json is required; T.npy,
/// manifest.json, design.yaml, placement.json and the PNGs are used when present). Throws
/// std::runtime_error naming the folder or file when summary.json is missing or a file cannot
/// be read. `name` is the folder's name shown in the page (default: `folder`'s last part).
std::string render_report(const std::string& folder, const std::string& name = "");

/// Renders the report of the files staged so far in `out` (summary.json among them) and stages
/// it as report.html: the results writers call this just before committing the folder.
void write_report(io::OutputDir& out);

/// `heatop report DIR`: writes DIR/report.html again from DIR's files (locked against a run
/// writing DIR; written to a temporary file and renamed, so a reader never sees half a page).
/// Returns the path written.
std::string regenerate_report(const std::string& folder);

}  // namespace heatop::report
