// libFuzzer harness: the payload of a response model (surrogate::ResponseOperator's reader,
// docs/checkpoint-format.md) under a valid header: a tiny die on a spreader (layers with
// footprints), 2 x 2 modes. Its valid payload is built once, by the operator itself (5 FV
// solves). The first byte chooses what the rest is:
//   even: a whole payload;
//   odd:  edits of the valid payload: the next 4 bytes (little-endian) its new length, then
//         (offset: 4 bytes, value: 1 byte) pairs written into it, so the fuzzer reaches the
//         checks behind the magic number and the sizes.
// A payload is either read or refused with a message naming the file.
#include <cstring>

#include "fuzz_util.hpp"
#include "io/design_file.hpp"
#include "surrogate/auto_config.hpp"
#include "surrogate/config.hpp"
#include "surrogate/response_operator.hpp"

namespace {

namespace hs = heatop::surrogate;

const char* const kDesign =
    "name: tiny\ndie: {size_mm: [4, 4]}\n"
    "layers:\n"
    "  - {name: base, thickness_mm: 0.5, k_W_per_mK: 200, cells: 2}\n"
    "  - {name: die, thickness_mm: 0.2, k_W_per_mK: 100, cells: 2, footprint_mm: [1, 1, 2, 2],\n"
    "     power_W: 1}\n"
    "bottom: {type: convective, h_W_per_m2K: 10000, T_amb_K: 300}\n"
    "grid: {nx: 5, ny: 5}\n";

struct Fixture {
  heatop::model::Design base;
  hs::OperatorConfig cfg;
  std::string payload;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    const std::string path = heatop::fuzz::write_file("tiny_spreader.yaml", kDesign);
    x.base = heatop::io::load_design(path).design;
    x.cfg = hs::parse_operator_config(hs::auto_operator_config(x.base, path, {"layer:die"}),
                                      "tiny config", heatop::fuzz::scratch_dir(),
                                      {"inputs.0.sensors=[2, 2]", "network.trunk.modes=2"});
    x.payload = hs::ResponseOperator(x.base, x.cfg).payload();
    return x;
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = heatop::fuzz;
  if (size == 0) return 0;
  const Fixture& f = fixture();
  std::string payload;
  if ((data[0] & 1) == 0) {
    payload = fz::as_text(data + 1, size - 1);
  } else {
    payload = f.payload;
    std::size_t at = 1;
    if (size >= at + 4) {
      std::uint32_t len;
      std::memcpy(&len, data + at, 4);
      at += 4;
      payload.resize(std::min<std::size_t>(len % (2 * f.payload.size() + 1), 1 << 20), '\0');
    }
    for (; size >= at + 5 && !payload.empty(); at += 5) {
      std::uint32_t off;
      std::memcpy(&off, data + at, 4);
      payload[off % payload.size()] = static_cast<char>(data[at + 4]);
    }
  }
  const std::string name = "fuzz_response.hnop";
  try {
    const hs::ResponseOperator op(f.base, f.cfg, payload, name);
    // A payload that is read predicts finite temperatures on its grid.
    hs::InputValues v{{heatop::model::PowerMap{}}, {0.0}};
    const std::vector<heatop::field::Field3D> t = op.predict({v}, op.grid());
    for (double x : t.front().values)
      if (!std::isfinite(x)) std::abort();
  } catch (const std::exception& e) {
    fz::check_rejection(e, name);
  }
  return 0;
}
