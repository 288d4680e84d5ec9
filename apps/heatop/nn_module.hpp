#pragma once
// The neural-operator module (libheatop_nn.so, built with LibTorch): `heatop train`, the trained
// models of `heatop predict | eval` and the predictors of `heatop optimize --model` live in a
// shared module that the heatop executable loads (dlopen) only when one of them is used, so that
// every other command, and predict, eval and optimize with a solved model, start without
// loading LibTorch. The executable and the module are built together from the same
// sources; kNnModuleAbi guards against a module of another build.
//
// The module exports these C symbols:
//   int heatop_nn_abi(void)                    kNnModuleAbi of the module's build
//   const char* heatop_nn_version(void)        HEATOP_VERSION of the module's build
//   int heatop_nn_main(int argc, char** argv)  runs `heatop train ...` from the executable's
//                                              full argv; returns the exit code
//   int heatop_nn_load_model(const char* path, const char* device, void* model, char* error,
//                            size_t error_size)
//       loads the model at `path` onto `device` into
//       *(std::unique_ptr<surrogate::OperatorModel>*)model; 0 on success, else 2 with a message
//   int heatop_nn_predictor_factory(void* factory, char* error, size_t error_size)
//       stores the optimize --model predictor factory into *(NnPredictorFactory*)factory;
//       0 on success, else 2 with a message in `error`

#include <cstddef>
#include <functional>
#include <string>

#include "optimize/hybrid.hpp"

namespace heatop::app {

/// Bumped whenever the entry points or the types passed through them change.
inline constexpr int kNnModuleAbi = 2;

/// The module's predictor factory (the same type as optimize_command.hpp's PredictorFactory).
using NnPredictorFactory = std::function<optimize::SurrogatePredictors(
    const std::string& model_dir, const model::Design& design)>;

extern "C" {
using NnAbiFn = int (*)();
using NnVersionFn = const char* (*)();
using NnMainFn = int (*)(int argc, char** argv);
using NnPredictorFactoryFn = int (*)(void* factory, char* error, std::size_t error_size);
using NnLoadModelFn = int (*)(const char* path, const char* device, void* model, char* error,
                              std::size_t error_size);
}

}  // namespace heatop::app
