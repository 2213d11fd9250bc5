#include "data/idx.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <sstream>

#include "data/detail/gz_file.h"
#include "framework/dispatch.h"
#include "framework/error.h"

namespace ember::data {
namespace {

bool known_type(uint8_t code) {
  return code == 0x08 || code == 0x09 || code == 0x0B || code == 0x0C || code == 0x0D ||
         code == 0x0E;
}

std::string hex(uint64_t value, int digits) {
  std::ostringstream out;
  out << "0x" << std::hex << std::uppercase;
  out.width(digits);
  out.fill('0');
  out << value;
  return out.str();
}

uint32_t big_endian_u32(const uint8_t* bytes) {
  return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 |
         uint32_t{bytes[3]};
}

// IDX stores elements big-endian; swap each in place on little-endian hosts.
void to_host_order(std::vector<uint8_t>& bytes, size_t element_size) {
  if constexpr (std::endian::native == std::endian::big) return;
  if (element_size == 1) return;
  for (size_t i = 0; i + element_size <= bytes.size(); i += element_size) {
    std::reverse(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                 bytes.begin() + static_cast<std::ptrdiff_t>(i + element_size));
  }
}

// Reads `expected` bytes in pieces, so a corrupt header that announces
// terabytes fails as truncated instead of allocating them up front.
std::vector<uint8_t> read_payload(detail::GzFile& file, size_t expected) {
  constexpr size_t kPiece = size_t{4} << 20;
  std::vector<uint8_t> bytes;
  bytes.reserve(std::min(expected, size_t{256} << 20));
  while (bytes.size() < expected) {
    size_t old_size = bytes.size();
    size_t want = std::min(kPiece, expected - old_size);
    bytes.resize(old_size + want);
    size_t got = file.read(bytes.data() + old_size, want);
    bytes.resize(old_size + got);
    if (got < want) break;
  }
  return bytes;
}

template <typename Source>
Source load(const uint8_t* bytes) {
  Source value;
  std::memcpy(&value, bytes, sizeof(Source));
  return value;
}

template <typename Target>
void convert(const IdxArray& array, Target* out) {
  const uint8_t* in = array.bytes.data();
  const int64_t n = array.numel();
  auto each = [&](auto tag) {
    using Source = decltype(tag);
    for (int64_t i = 0; i < n; ++i) {
      out[i] = static_cast<Target>(load<Source>(in + i * sizeof(Source)));
    }
  };
  switch (array.type) {
    case IdxType::UInt8: return each(uint8_t{});
    case IdxType::Int8: return each(int8_t{});
    case IdxType::Int16: return each(int16_t{});
    case IdxType::Int32: return each(int32_t{});
    case IdxType::Float32: return each(float{});
    case IdxType::Float64: return each(double{});
  }
  EMBER_ASSERT(false);
}

}  // namespace

const char* idx_type_name(IdxType type) {
  switch (type) {
    case IdxType::UInt8: return "unsigned byte";
    case IdxType::Int8: return "signed byte";
    case IdxType::Int16: return "short";
    case IdxType::Int32: return "int";
    case IdxType::Float32: return "float";
    case IdxType::Float64: return "double";
  }
  return "unknown";
}

size_t idx_element_size(IdxType type) {
  switch (type) {
    case IdxType::UInt8:
    case IdxType::Int8: return 1;
    case IdxType::Int16: return 2;
    case IdxType::Int32:
    case IdxType::Float32: return 4;
    case IdxType::Float64: return 8;
  }
  return 0;
}

IdxArray read_idx_raw(const std::string& path) {
  detail::GzFile file(path, "read_idx");
  const char* gzip_note = file.compressed() ? " (after gzip decompression)" : "";

  // Magic: two zero bytes, the type code, the number of dims.
  uint8_t magic[4] = {};
  size_t got = file.read(magic, 4);
  EMBER_CHECK(got == 4, "read_idx: ", path, " is truncated: ", got,
              " bytes, too short for the 4-byte IDX magic number");
  uint32_t magic_value = big_endian_u32(magic);
  EMBER_CHECK(magic[0] == 0 && magic[1] == 0 && known_type(magic[2]), "read_idx: ", path,
              " is not an IDX file: wrong magic number ", hex(magic_value, 8), gzip_note,
              "; expected 0x0000TTNN with type TT one of 08, 09, 0B, 0C, 0D, 0E");
  EMBER_CHECK(magic[3] >= 1, "read_idx: ", path, " declares 0 dimensions (magic ",
              hex(magic_value, 8), "); expected at least 1");

  IdxArray array;
  array.type = static_cast<IdxType>(magic[2]);
  const int ndims = magic[3];
  std::vector<uint8_t> header(4 * static_cast<size_t>(ndims));
  got = file.read(header.data(), header.size());
  EMBER_CHECK(got == header.size(), "read_idx: ", path, " is truncated inside its header: ",
              ndims, " sizes need ", header.size(), " bytes, found ", got);

  // Sizes, checking that the byte count fits before anything is allocated.
  const size_t element_size = idx_element_size(array.type);
  uint64_t total = element_size;
  bool overflow = false;
  for (int d = 0; d < ndims; ++d) {
    uint32_t size = big_endian_u32(&header[4 * d]);
    array.shape.push_back(size);
    if (size != 0 && total > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / size) {
      overflow = true;
    }
    total *= size;
  }
  EMBER_CHECK(!overflow, "read_idx: ", path, " declares sizes ", array.shape,
              " whose byte count overflows; the header is corrupt");

  array.bytes = read_payload(file, static_cast<size_t>(total));
  if (array.bytes.size() < total) {
    uint64_t item_bytes = total / std::max<uint64_t>(array.shape[0], 1);
    uint64_t items = item_bytes == 0 ? 0 : array.bytes.size() / item_bytes;
    ember::detail::throw_error(
        "read_idx: ", path, " is truncated: the header says ", array.shape[0], " items (shape ",
        array.shape, ", ", total, " bytes of ", idx_type_name(array.type),
        " data) but the file holds ", array.bytes.size(), " bytes, ", items, " complete items",
        file.ended_early() ? "; the gzip stream ends early" : "");
  }
  uint8_t extra = 0;
  EMBER_CHECK(file.read(&extra, 1) == 0, "read_idx: ", path, " has bytes after the ", total,
              " bytes of data its header ", array.shape, " describes; the header or the"
              " file is corrupt");
  // A gzip stream cut inside its trailer still yields every byte, but its CRC
  // went unchecked, so the data cannot be trusted.
  EMBER_CHECK(!file.ended_early(), "read_idx: ", path, " is truncated: its gzip stream ends "
              "before the trailer (CRC-32 and length), so its data cannot be verified");

  to_host_order(array.bytes, element_size);
  return array;
}

Tensor idx_to_tensor(const IdxArray& array, std::optional<DType> dtype) {
  DType target = dtype.value_or(array.type == IdxType::Float32   ? kFloat32
                                : array.type == IdxType::Float64 ? kFloat64
                                                                 : kInt64);
  Tensor out = empty(array.shape, target);
  EMBER_DISPATCH_ALL(target, "read_idx", [&] { convert(array, out.data_ptr<scalar_t>()); });
  return out;
}

Tensor read_idx(const std::string& path, std::optional<DType> dtype) {
  return idx_to_tensor(read_idx_raw(path), dtype);
}

}  // namespace ember::data
