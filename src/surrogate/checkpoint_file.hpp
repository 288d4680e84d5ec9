#pragma once
// heatop operator checkpoints (.hnop files), format in docs/checkpoint-format.md:
//   magic "HEATOPNO" (8 bytes) | format version (uint32 LE) |
//   header length (uint64 LE) | header (UTF-8 JSON) |
//   payload length (uint64 LE) | payload (LibTorch archive: "model" and, optionally,
//   "optimizer" sub-archives) | FNV-1a 64 checksum of header and payload (uint64 LE).
// The header holds the heatop version, the effective operator configuration (YAML), the base
// design (JSON), the normalisation, the training step and the run's loss history summary.
// This part reads and writes the container and interprets the header; it needs no LibTorch
// (fuzz/fuzz_checkpoint.cpp builds it alone). checkpoint.hpp reads and writes the payload.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "model/design.hpp"
#include "surrogate/config.hpp"

namespace heatop::surrogate {

constexpr char kCheckpointMagic[9] = "HEATOPNO";
constexpr std::uint32_t kCheckpointVersion = 1;

/// The two variable-length parts of a checkpoint file.
struct CheckpointParts {
  std::string header, payload;
};

/// Path of the checkpoint inside a model folder (model.hnop), or the path itself for a file.
std::string model_file(const std::string& dir_or_file);

/// The bytes of a checkpoint file holding `header` (JSON text) and `payload`.
std::string checkpoint_bytes(const std::string& header, const std::string& payload);

/// Reads and checks magic, version, lengths (against the file size, before allocating) and
/// checksum. Throws std::runtime_error naming the file and what is wrong (not a heatop
/// checkpoint, newer format, truncated, corrupted). With `payload` false, only the header is
/// read (the lengths are still checked; the payload and the checksum are not read): for
/// asking what a checkpoint holds without reading a large payload.
CheckpointParts read_checkpoint_parts(const std::string& path, bool payload = true);

/// A checkpoint file mapped read-only into memory: its header, and its payload in place (no
/// copy, no zero-filled buffer: a large payload is read from the page cache). Checked as
/// read_checkpoint_parts checks a whole file, checksum included; the same errors.
struct MappedCheckpoint {
  std::string header;
  std::string_view payload;             // valid while `mapping` lives
  std::shared_ptr<const void> mapping;  // unmaps the file when the last holder goes
};
MappedCheckpoint map_checkpoint(const std::string& path);

/// read_checkpoint_parts, then the header parsed as a JSON object.
nlohmann::json read_checkpoint_header(const std::string& path, bool verify_payload = true);

/// What a checkpoint's header says the network was trained for.
struct CheckpointSetup {
  nlohmann::json header;
  OperatorConfig config;
  model::Design base;
};

/// Reads the header and rebuilds the operator configuration and the base design it records,
/// both validated, and checks that its stored normalisation is the one this heatop computes for
/// them (a network only makes sense in the scales it was trained in). Throws
/// std::runtime_error naming the file and the field.
CheckpointSetup read_checkpoint_setup(const std::string& path, bool verify_payload = true);

}  // namespace heatop::surrogate
