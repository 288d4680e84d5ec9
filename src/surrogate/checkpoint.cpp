// Versioned checkpoint files.

#include "surrogate/checkpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/output_dir.hpp"

namespace heatop::surrogate {

namespace {

std::uint64_t fnv1a(const std::string& a, const std::string& b) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::string* s : {&a, &b})
    for (unsigned char c : *s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
  return h;
}

template <class T>
void put(std::ostream& o, T v) {
  unsigned char b[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
  o.write(reinterpret_cast<const char*>(b), sizeof(T));
}

template <class T>
T get(std::istream& in, const std::string& path) {
  unsigned char b[sizeof(T)];
  if (!in.read(reinterpret_cast<char*>(b), sizeof(T)))
    throw std::runtime_error(path + ": truncated heatop checkpoint");
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(b[i]) << (8 * i);
  return v;
}

struct Parts {
  std::string header, payload;
};

Parts read_parts(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the checkpoint");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, kCheckpointMagic, 8) != 0)
    throw std::runtime_error(path + ": not a heatop operator checkpoint (bad magic number)");
  const auto version = get<std::uint32_t>(in, path);
  if (version > kCheckpointVersion)
    throw std::runtime_error(path + ": checkpoint format version " + std::to_string(version) +
                             " is newer than this heatop reads (" +
                             std::to_string(kCheckpointVersion) + "); update heatop");
  // A length is checked against what the file still holds before anything is allocated for it.
  std::error_code ec;
  const std::uint64_t file_size = std::filesystem::file_size(path, ec);
  auto check_length = [&](std::uint64_t n, const char* what) {
    const auto pos = static_cast<std::uint64_t>(in.tellg());
    if (ec || n > file_size - std::min(file_size, pos))
      throw std::runtime_error(path + ": truncated or corrupted heatop checkpoint (the " + what +
                               " claims " + std::to_string(n) + " bytes, the file holds " +
                               std::to_string(file_size - std::min(file_size, pos)) + " more)");
  };
  Parts p;
  const auto hl = get<std::uint64_t>(in, path);
  check_length(hl, "header");
  p.header.resize(hl);
  if (!in.read(p.header.data(), static_cast<std::streamsize>(hl)))
    throw std::runtime_error(path + ": truncated heatop checkpoint");
  const auto pl = get<std::uint64_t>(in, path);
  check_length(pl, "payload");
  p.payload.resize(pl);
  if (!in.read(p.payload.data(), static_cast<std::streamsize>(pl)))
    throw std::runtime_error(path + ": truncated heatop checkpoint");
  if (get<std::uint64_t>(in, path) != fnv1a(p.header, p.payload))
    throw std::runtime_error(path + ": checkpoint checksum mismatch (corrupted file)");
  return p;
}

}  // namespace

void save_checkpoint(const std::string& path, const nlohmann::json& header,
                     torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive archive, model_ar;
  model.save(model_ar);
  archive.write("model", model_ar);
  if (optimizer) {
    torch::serialize::OutputArchive opt_ar;
    optimizer->save(opt_ar);
    archive.write("optimizer", opt_ar);
  }
  std::ostringstream payload;
  archive.save_to(payload);
  const std::string h = header.dump(), p = payload.str();
  std::ostringstream o;
  o.write(kCheckpointMagic, 8);
  put<std::uint32_t>(o, kCheckpointVersion);
  put<std::uint64_t>(o, h.size());
  o.write(h.data(), static_cast<std::streamsize>(h.size()));
  put<std::uint64_t>(o, p.size());
  o.write(p.data(), static_cast<std::streamsize>(p.size()));
  put<std::uint64_t>(o, fnv1a(h, p));
  io::write_file_atomically(path, o.str());
}

nlohmann::json read_checkpoint_header(const std::string& path) {
  const Parts p = read_parts(path);
  try {
    return nlohmann::json::parse(p.header);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": checkpoint header is not valid JSON: " + e.what());
  }
}

void load_checkpoint_state(const std::string& path, torch::nn::Module& model,
                           torch::optim::Optimizer* optimizer, torch::Device device) {
  const Parts p = read_parts(path);
  std::istringstream in(p.payload);
  torch::serialize::InputArchive archive, model_ar;
  archive.load_from(in, device);
  archive.read("model", model_ar);
  model.load(model_ar);
  if (optimizer) {
    torch::serialize::InputArchive opt_ar;
    if (!archive.try_read("optimizer", opt_ar))
      throw std::runtime_error(path + ": the checkpoint holds no optimizer state; cannot resume");
    optimizer->load(opt_ar);
  }
}

}  // namespace heatop::surrogate
