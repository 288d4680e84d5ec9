#pragma once
// An operator configuration built from a design and the names of what varies
// (`heatop train DESIGN --input top|bottom|layer:NAME -o DIR`): the modal spectral form whose
// depth functions come from the design's own stack, generators scaled to the design's power
// density and die size, and the training schedule that reaches C1 and C2's targets. The result is
// YAML text for parse_operator_config, so it is checked like a hand-written file, `--set`
// overrides apply to it, and the trainer writes it next to the model (config.yaml).
// No LibTorch here.

#include <string>
#include <vector>

#include "model/design.hpp"
#include "surrogate/config.hpp"

namespace heatop::surrogate {

/// Why network.modal_core `solved` cannot model design `d` with these inputs (per layer and per
/// face: whether an input drives it), or "" when it can: the sides must be adiabatic (the
/// lateral modes are cosines), every convective face must share the reference temperature and a
/// fixed face must hold it (the operator has no offset term), and no power may enter but the
/// inputs' (the field must be linear in them).
std::string solved_core_obstacle(const model::Design& d, const std::vector<bool>& layer_is_input,
                                 const std::vector<bool>& face_is_input);

/// The configuration for `design` (read from `design_path`, written into the YAML as given) with
/// one power-map input per target ("top", "bottom" or "layer:NAME"); several inputs are combined
/// by sum (their rises superpose). Throws std::invalid_argument naming the problem: no target, an
/// unknown target, a target twice, a face that is not a power face, or a layer the design does
/// not have.
/// The core is solved from the stack (48 modes); a design it cannot model (solved_core_obstacle)
/// is refused with the reason, since a trained modal core could not model it either.
std::string auto_operator_config(const model::Design& design, const std::string& design_path,
                                 const std::vector<std::string>& targets);

/// What `heatop train PATH [--input T ...] [--set k=v ...]` trains: with inputs, PATH is a design
/// and the configuration is auto_operator_config's; without, PATH is an operator configuration
/// (a design file there is an error that says to name the inputs). Overrides apply either way.
OperatorConfig training_config(const std::string& path, const std::vector<std::string>& inputs,
                               const std::vector<std::string>& overrides);

}  // namespace heatop::surrogate
