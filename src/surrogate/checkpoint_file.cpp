// The checkpoint container and its header (no LibTorch).

#include "surrogate/checkpoint_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "surrogate/problem.hpp"

namespace heatop::surrogate {

namespace {

std::uint64_t fnv1a(std::string_view a, std::string_view b) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::string_view* s : {&a, &b})
    for (unsigned char c : *s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
  return h;
}

template <class T>
void put(std::string& o, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) o.push_back(static_cast<char>(v >> (8 * i)));
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

}  // namespace

std::string model_file(const std::string& p) {
  namespace fs = std::filesystem;
  return fs::is_directory(p) ? (fs::path(p) / "model.hnop").string() : p;
}

std::string checkpoint_bytes(const std::string& header, const std::string& payload) {
  std::string o(kCheckpointMagic, 8);
  put<std::uint32_t>(o, kCheckpointVersion);
  put<std::uint64_t>(o, header.size());
  o += header;
  put<std::uint64_t>(o, payload.size());
  o += payload;
  put<std::uint64_t>(o, fnv1a(header, payload));
  return o;
}

CheckpointParts read_checkpoint_parts(const std::string& path, bool payload) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the checkpoint");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, kCheckpointMagic, 8) != 0)
    throw std::runtime_error(path + ": not a heatop operator checkpoint (bad magic number)");
  const auto version = get<std::uint32_t>(in, path);
  if (version == 0)
    throw std::runtime_error(path +
                             ": checkpoint format version 0 does not exist (corrupted file)");
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
  CheckpointParts p;
  const auto hl = get<std::uint64_t>(in, path);
  check_length(hl, "header");
  p.header.resize(hl);
  if (!in.read(p.header.data(), static_cast<std::streamsize>(hl)))
    throw std::runtime_error(path + ": truncated heatop checkpoint");
  const auto pl = get<std::uint64_t>(in, path);
  check_length(pl, "payload");
  if (!payload) {
    // The header alone: the payload and the checksum must still fit in the file.
    if (file_size - static_cast<std::uint64_t>(in.tellg()) != pl + 8)
      throw std::runtime_error(path +
                               ": truncated or corrupted heatop checkpoint (its length is "
                               "not that of its parts)");
    return p;
  }
  p.payload.resize(pl);
  if (!in.read(p.payload.data(), static_cast<std::streamsize>(pl)))
    throw std::runtime_error(path + ": truncated heatop checkpoint");
  if (get<std::uint64_t>(in, path) != fnv1a(p.header, p.payload))
    throw std::runtime_error(path + ": checkpoint checksum mismatch (corrupted file)");
  return p;
}

MappedCheckpoint map_checkpoint(const std::string& path) {
  MappedCheckpoint m;
  m.header = read_checkpoint_parts(path, false).header;  // magic, version, lengths
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open the checkpoint");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    throw std::runtime_error(path + ": cannot read the checkpoint's size");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* at = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (at == MAP_FAILED) throw std::runtime_error(path + ": cannot map the checkpoint");
  m.mapping = std::shared_ptr<const void>(
      at, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  // The layout read_checkpoint_parts checked: magic, version, header length, header, payload
  // length, payload, checksum (its lengths fit the file exactly).
  const char* bytes = static_cast<const char*>(at);
  const std::size_t header_at = 8 + 4 + 8, payload_at = header_at + m.header.size() + 8;
  if (payload_at + 8 > size)
    throw std::runtime_error(path + ": truncated heatop checkpoint (changed while read?)");
  m.payload = std::string_view(bytes + payload_at, size - payload_at - 8);
  std::uint64_t sum = 0;  // little-endian, as get<> reads it
  for (int i = 0; i < 8; ++i)
    sum |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[size - 8 + i])) << (8 * i);
  if (sum != fnv1a(std::string_view(bytes + header_at, m.header.size()), m.payload))
    throw std::runtime_error(path + ": checkpoint checksum mismatch (corrupted file)");
  return m;
}

nlohmann::json read_checkpoint_header(const std::string& path, bool verify_payload) {
  const CheckpointParts p = read_checkpoint_parts(path, verify_payload);
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(p.header);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": checkpoint header is not valid JSON: " + e.what());
  }
  if (!h.is_object())
    throw std::runtime_error(path + ": checkpoint header is JSON but not an object");
  return h;
}

CheckpointSetup read_checkpoint_setup(const std::string& path, bool verify_payload) {
  CheckpointSetup s;
  s.header = read_checkpoint_header(path, verify_payload);
  const nlohmann::json& h = s.header;
  auto field = [&](const char* key) -> const nlohmann::json& {
    if (!h.contains(key))
      throw std::runtime_error(path + ": checkpoint header lacks the field '" + key + "'");
    return h[key];
  };
  const nlohmann::json& cfg = field("config_yaml");
  if (!cfg.is_string())
    throw std::runtime_error(path + ": checkpoint header field 'config_yaml' is not a string");
  // Its messages name the file as "<path> (config_yaml):<line>".
  s.config = parse_operator_config(cfg.get<std::string>(), path + " (config_yaml)", ".");
  const nlohmann::json& design = field("design");
  std::unique_ptr<Problem> problem;
  try {
    s.base = design_from_json(design);
    problem = std::make_unique<Problem>(s.base, s.config);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": checkpoint header: " + e.what());
  }
  const nlohmann::json& step = field("step");
  if (!(step.is_number_integer() && step.get<long long>() >= 0))
    throw std::runtime_error(path + ": checkpoint header field 'step' is not a whole number >= 0");
  const nlohmann::json want = problem->normalisation_json();
  const nlohmann::json have = h.value("normalisation", nlohmann::json::object());
  for (const auto& [key, v] : want.items()) {
    const nlohmann::json* got = have.is_object() && have.contains(key) ? &have[key] : nullptr;
    bool same = false;
    if (got && v.is_boolean())
      same = *got == v;
    else if (got && got->is_number())
      same = std::abs(got->get<double>() - v.get<double>()) <= 1e-9 * std::abs(v.get<double>());
    if (!same)
      throw std::runtime_error(path + ": the checkpoint's normalisation." + key + " = " +
                               (got ? got->dump() : "(missing)") + " differs from " + v.dump() +
                               ", which this heatop computes for its design; retrain the model "
                               "with this heatop version");
  }
  return s;
}

}  // namespace heatop::surrogate
