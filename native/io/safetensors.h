// Safetensors files in C++ (the C API's load/save; the Node API has its own reader in lib/io/safetensors.ts and
// both follow the same rules): an 8-byte little-endian header length N, N bytes of JSON naming each tensor's
// dtype, shape and data_offsets (plus an optional "__metadata__" object of strings), then the data. The reader
// refuses everything a corrupt, truncated or foreign file could get wrong (TF_BAD_FILE naming the file and the
// problem): header length, UTF-8, JSON, duplicate names, dtypes, shapes, offsets that do not tile the data
// section exactly. The writer lays tensors out largest element first, pads the header to 8 bytes and replaces
// the file atomically (a temporary file, fsync, rename), so a crash leaves the old file or the new one.
#pragma once
#include <string>
#include <utility>
#include <vector>
#include "../core/tensor.h"

namespace tf::io {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};
using Metadata = std::vector<std::pair<std::string, std::string>>;

struct SafetensorsFile {
  std::vector<NamedTensor> tensors;  // in data order
  Metadata metadata;                 // in header order
};

constexpr uint64_t kMaxHeaderBytes = 100000000;  // the reference implementation's limit

SafetensorsFile load_safetensors(const std::string& path);
// with_metadata: write a "__metadata__" object (even an empty one).
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors, const Metadata& metadata,
                      bool with_metadata);

}  // namespace tf::io
