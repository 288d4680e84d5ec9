// libFuzzer harness: operator checkpoints (surrogate::read_checkpoint_setup: the container, its
// header and the configuration, design and normalisation the header records; plain C++, built
// here without LibTorch). The first byte chooses what the rest is:
//   even: a whole .hnop file, as read from disk (magic, version, lengths, checksum);
//   odd:  the header's JSON text, packed into a file with a valid checksum and an empty payload,
//         so the fuzzer reaches the header's interpretation instead of stopping at the checksum.
// map_checkpoint (the mapped reader of response models) runs on the same file.
// The payload (a LibTorch archive) is read by LibTorch after these checks: its length is checked
// against the file before it is allocated, and the tensor shapes it may hold are those of the
// network the checked configuration builds.
#include "fuzz_util.hpp"
#include "surrogate/checkpoint_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = heatop::fuzz;
  namespace hs = heatop::surrogate;
  if (size == 0) return 0;
  const std::string rest = fz::as_text(data + 1, size - 1);
  const std::string name = "fuzz_model.hnop";
  const std::string path =
      fz::write_file(name, (data[0] & 1) ? hs::checkpoint_bytes(rest, "") : rest);
  try {
    hs::read_checkpoint_setup(path);
  } catch (const std::exception& e) {
    fz::check_rejection(e, name);
  }
  // The mapped reader (response models' payloads) checks the same container.
  try {
    const hs::MappedCheckpoint m = hs::map_checkpoint(path);
    if (m.payload.size() + m.header.size() + 36 != fz::as_text(data + 1, size - 1).size() &&
        !(data[0] & 1))
      std::abort();  // a whole file's parts must account for all of it
  } catch (const std::exception& e) {
    fz::check_rejection(e, name);
  }
  return 0;
}
