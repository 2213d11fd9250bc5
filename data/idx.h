#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "framework/tensor.h"

// The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a magic number
// 0x0000TTNN (TT the element type, NN the number of dims), NN big-endian
// uint32 sizes, then the elements in row-major order, big-endian. Files may be
// gzip-compressed (told apart by their first bytes) or plain.
namespace ember::data {

enum class IdxType : uint8_t {
  UInt8 = 0x08,
  Int8 = 0x09,
  Int16 = 0x0B,
  Int32 = 0x0C,
  Float32 = 0x0D,
  Float64 = 0x0E,
};

const char* idx_type_name(IdxType type);
size_t idx_element_size(IdxType type);

// An IDX file's contents, elements already in host byte order.
struct IdxArray {
  IdxType type = IdxType::UInt8;
  Shape shape;
  std::vector<uint8_t> bytes;

  int64_t numel() const { return shape_numel(shape); }
};

// Reads an IDX file as stored, without widening: 47 MB for the Fashion-MNIST
// training images, where an int64 tensor would take 376 MB.
// Throws ember::Error naming the file when it is missing, unreadable, not IDX
// (wrong magic), truncated (fewer items than the header says) or followed by
// extra bytes.
IdxArray read_idx_raw(const std::string& path);

// Reads an IDX file as a tensor of the header's shape. Without `dtype`,
// integer types become int64, 0x0D float32 and 0x0E float64; with it, the
// elements are converted while copying. Throws as read_idx_raw.
Tensor read_idx(const std::string& path, std::optional<DType> dtype = std::nullopt);

// The tensor for an IdxArray already read (same dtype rules as read_idx).
Tensor idx_to_tensor(const IdxArray& array, std::optional<DType> dtype = std::nullopt);

}  // namespace ember::data
