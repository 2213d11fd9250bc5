#include "framework/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <system_error>
#include <tuple>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/atomic_file.h"
#include "framework/error.h"

namespace ember {
namespace {

using Json = nlohmann::json;

// Tensor bytes are copied exactly as they lie in memory, which is the file's
// little-endian order only on a little-endian host.
static_assert(std::endian::native == std::endian::little,
              "safetensors: reading and writing tensor bytes needs a little-endian host");

// The reference reader refuses larger headers; checking first means a corrupt
// length never turns into a huge allocation.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// A valid header nests three levels (header, entry, shape); anything deeper is
// refused while parsing, before nlohmann builds it.
constexpr int kMaxNesting = 16;
constexpr const char* kMetadataKey = "__metadata__";
constexpr const char* kSupported = "F32, F64, I64, BOOL";

const char* dtype_code(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
    case DType::Bool: return "BOOL";
  }
  EMBER_ASSERT(false && "unknown dtype");
  return "";
}

std::optional<DType> dtype_from_code(const std::string& code) {
  for (DType dtype : {kFloat32, kFloat64, kInt64, kBool}) {
    if (code == dtype_code(dtype)) return dtype;
  }
  return std::nullopt;
}

std::string reason(int error_number) {
  return std::generic_category().message(error_number);
}

// ---- reading: every rule the header must follow ----

// Reader errors start with the input's name, so a message in a log says which
// checkpoint is broken.
template <typename... Parts>
[[noreturn]] void read_error(const std::string& source, const Parts&... parts) {
  detail::throw_error("load_safetensors: '", source, "': ", parts...);
}

template <typename... Parts>
[[noreturn]] void entry_error(const std::string& source, const std::string& name,
                              const Parts&... parts) {
  read_error(source, "tensor '", name, "': ", parts...);
}

// A short rendering of a JSON value for error messages; a hostile header can
// hold megabytes where a number was expected.
std::string excerpt(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() <= 60) return text;
  size_t cut = 57;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return text.substr(0, cut) + "...";
}

// "an array", "a string": a JSON value's type for messages.
std::string kind_of(const Json& value) {
  std::string name = value.type_name();
  bool vowel = name.find_first_of("aeiou") == 0;
  return (vowel ? "an " : "a ") + name;
}

// One tensor of a validated header; [begin, end) is relative to the data region.
struct Entry {
  std::string name;
  DType dtype = kFloat32;
  Shape shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct Header {
  std::vector<Entry> entries;  // in header order
  std::map<std::string, std::string> metadata;
};

uint64_t read_u64_le(const unsigned char* bytes) {
  uint64_t value = 0;
  std::memcpy(&value, bytes, sizeof(value));
  return value;
}

// Checks the header length against the limit and the file size, so the
// header and the data region it leaves both lie inside the input.
void check_header_length(uint64_t header_bytes, uint64_t file_bytes, const std::string& source) {
  if (file_bytes < 8) {
    read_error(source, "the file has ", file_bytes,
               " bytes, fewer than the 8-byte header length; not a safetensors file");
  }
  if (header_bytes > kMaxHeaderBytes) {
    read_error(source, "header length ", header_bytes, " is over the limit of ",
               kMaxHeaderBytes, " bytes; the file is corrupt or not a safetensors file");
  }
  if (header_bytes > file_bytes - 8) {
    read_error(source, "header length ", header_bytes, " runs past the end of the ", file_bytes,
               "-byte file; the file is truncated or corrupt");
  }
}

// Parses the header text. nlohmann would silently keep the last of duplicate
// keys and sorts object keys, so a parse callback refuses duplicates, bounds
// the nesting and records the top-level keys in file order.
Json parse_json(const char* text, size_t size, const std::string& source,
                std::vector<std::string>& top_keys) {
  std::vector<std::unordered_set<std::string>> open_objects;
  std::string entry;  // the top-level key being parsed, for messages

  auto watch = [&](int depth, Json::parse_event_t event, Json& parsed) {
    using Event = Json::parse_event_t;
    if (event == Event::object_start || event == Event::array_start) {
      if (depth >= kMaxNesting) read_error(source, "header nests deeper than ", kMaxNesting,
                                           " levels; a safetensors header needs 3");
      if (event == Event::object_start) open_objects.emplace_back();
    } else if (event == Event::object_end) {
      open_objects.pop_back();
    } else if (event == Event::key) {
      const std::string& key = parsed.get_ref<const std::string&>();
      bool fresh = open_objects.back().insert(key).second;
      if (depth == 1) {
        if (!fresh) read_error(source, "header names '", key, "' twice");
        entry = key;
        top_keys.push_back(key);
      } else if (!fresh) {
        read_error(source, "entry '", entry, "' has the key '", key, "' twice");
      }
    }
    return true;
  };

  try {
    return Json::parse(text, text + size, watch);
  } catch (const Json::exception& error) {
    read_error(source, "the header is not valid JSON: ", error.what());
  }
}

// A JSON integer in [0, 2^63), the range of ember's sizes; nullopt otherwise.
std::optional<uint64_t> as_size(const Json& value) {
  uint64_t size = 0;
  if (value.is_number_unsigned()) {
    size = value.get<uint64_t>();
  } else if (value.is_number_integer() && value.get<int64_t>() == 0) {
    size = 0;  // "-0"
  } else {
    return std::nullopt;
  }
  if (size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return size;
}

void read_metadata(const Json& value, const std::string& source, Header& header) {
  if (!value.is_object()) {
    read_error(source, "\"", kMetadataKey, "\" must be an object of strings, got ",
               kind_of(value));
  }
  for (const auto& [key, text] : value.items()) {
    if (!text.is_string()) {
      read_error(source, "metadata '", key, "' is ", kind_of(text), " (", excerpt(text),
                 "); metadata values must be strings");
    }
    header.metadata[key] = text.get<std::string>();
  }
}

const Json& field(const Json& entry, const char* key, const std::string& source,
                  const std::string& name) {
  auto found = entry.find(key);
  if (found == entry.end()) {
    entry_error(source, name, "missing field \"", key, "\" (an entry has dtype, shape and ",
                "data_offsets)");
  }
  return *found;
}

DType read_dtype(const Json& value, const std::string& source, const std::string& name) {
  if (!value.is_string()) {
    entry_error(source, name, "dtype must be a string, got ", excerpt(value));
  }
  std::optional<DType> dtype = dtype_from_code(value.get<std::string>());
  if (!dtype) {
    entry_error(source, name, "dtype ", excerpt(value), " is not supported; ember reads ",
                kSupported);
  }
  return *dtype;
}

// The shape and its element count. Every suffix product of the sizes must fit
// in int64 too (strides are built from them), even when a zero makes numel 0.
Shape read_shape(const Json& value, const std::string& source, const std::string& name,
                 int64_t& numel) {
  if (!value.is_array()) {
    entry_error(source, name, "shape must be a list of non-negative integers, got ",
                excerpt(value));
  }
  Shape shape;
  shape.reserve(value.size());
  int64_t extent = 1;
  numel = 1;
  for (const Json& size_value : value) {
    std::optional<uint64_t> size = as_size(size_value);
    if (!size) {
      entry_error(source, name, "shape must be a list of non-negative integers below 2^63, got ",
                  excerpt(value));
    }
    int64_t size_i = static_cast<int64_t>(*size);
    if (__builtin_mul_overflow(extent, std::max<int64_t>(size_i, 1), &extent)) {
      entry_error(source, name, "shape ", excerpt(value), " has more elements than fit in ",
                  "64 bits");
    }
    numel *= size_i;  // cannot overflow: |numel| <= extent
    shape.push_back(size_i);
  }
  return shape;
}

Entry read_entry(const std::string& name, const Json& value, uint64_t data_bytes,
                 const std::string& source) {
  if (!value.is_object()) {
    entry_error(source, name, "the entry is ", kind_of(value),
                ", not an object with dtype, shape and data_offsets");
  }
  for (const auto& [key, unused] : value.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      entry_error(source, name, "unexpected field \"", key,
                  "\" (an entry has dtype, shape and data_offsets)");
    }
  }

  Entry entry;
  entry.name = name;
  entry.dtype = read_dtype(field(value, "dtype", source, name), source, name);
  int64_t numel = 0;
  entry.shape = read_shape(field(value, "shape", source, name), source, name, numel);

  const Json& offsets = field(value, "data_offsets", source, name);
  std::optional<uint64_t> begin, end;
  if (offsets.is_array() && offsets.size() == 2) {
    begin = as_size(offsets[0]);
    end = as_size(offsets[1]);
  }
  if (!begin || !end || *begin > *end) {
    entry_error(source, name, "data_offsets must be [begin, end] with 0 <= begin <= end, got ",
                excerpt(offsets));
  }
  entry.begin = *begin;
  entry.end = *end;
  if (entry.end > data_bytes) {
    entry_error(source, name, "data_offsets [", entry.begin, ", ", entry.end,
                "] end past the data region, which holds ", data_bytes,
                " bytes; the file is truncated or corrupt");
  }

  uint64_t needed = 0;
  bool too_big = __builtin_mul_overflow(static_cast<uint64_t>(numel),
                                        static_cast<uint64_t>(element_size(entry.dtype)), &needed);
  if (too_big || needed != entry.end - entry.begin) {
    entry_error(source, name, "data_offsets [", entry.begin, ", ", entry.end, "] hold ",
                entry.end - entry.begin, " bytes but ", dtype_code(entry.dtype), " shape ",
                entry.shape, " needs ", numel, " x ", element_size(entry.dtype), " bytes");
  }
  return entry;
}

// Like the reference reader, requires the tensors sorted by offset to tile
// the data region exactly: an overlap would alias two tensors, and a hole or
// trailing bytes mean the header and the data disagree.
void check_layout(const std::vector<Entry>& entries, uint64_t data_bytes,
                  const std::string& source) {
  std::vector<const Entry*> by_offset;
  by_offset.reserve(entries.size());
  for (const Entry& entry : entries) by_offset.push_back(&entry);
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->begin, a->end, a->name) < std::tie(b->begin, b->end, b->name);
  });

  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* entry : by_offset) {
    if (entry->begin < covered) {
      read_error(source, "tensors '", previous->name, "' [", previous->begin, ", ",
                 previous->end, ") and '", entry->name, "' [", entry->begin, ", ", entry->end,
                 ") overlap in the data region");
    }
    if (entry->begin > covered) {
      read_error(source, "bytes [", covered, ", ", entry->begin, ") of the data region ",
                 "belong to no tensor (the next one is '", entry->name, "')");
    }
    covered = entry->end;
    previous = entry;
  }
  if (covered != data_bytes) {
    read_error(source, "the data region holds ", data_bytes, " bytes but the tensors end at ",
               covered, "; ", data_bytes - covered, " trailing bytes belong to no tensor");
  }
}

Header read_header(const char* text, size_t size, uint64_t data_bytes,
                   const std::string& source) {
  std::vector<std::string> top_keys;
  Json json = parse_json(text, size, source, top_keys);
  if (!json.is_object()) {
    read_error(source, "the header is ", kind_of(json), ", not a JSON object");
  }

  Header header;
  header.entries.reserve(top_keys.size());
  for (const std::string& key : top_keys) {
    const Json& value = json.at(key);
    if (key == kMetadataKey) {
      read_metadata(value, source, header);
    } else {
      header.entries.push_back(read_entry(key, value, data_bytes, source));
    }
  }

  check_layout(header.entries, data_bytes, source);
  return header;
}

// Copies `count` bytes from offset `at` of the data region into `destination`.
using ReadData = std::function<void(uint64_t at, void* destination, size_t count)>;

// A bool outside {0, 1} is undefined behaviour in C++, so BOOL bytes are
// checked before anyone reads them as bool.
void check_bool_bytes(const Tensor& tensor, const Entry& entry, const std::string& source) {
  const auto* bytes = static_cast<const unsigned char*>(tensor.raw_data());
  for (int64_t k = 0; k < tensor.numel(); ++k) {
    if (bytes[k] > 1) {
      entry_error(source, entry.name, "BOOL element ", k, " is the byte ",
                  static_cast<int>(bytes[k]), "; BOOL bytes must be 0 or 1");
    }
  }
}

StateDict build_tensors(const Header& header, const ReadData& read, const std::string& source) {
  StateDict dict;
  for (const Entry& entry : header.entries) {
    Tensor tensor = empty(entry.shape, entry.dtype);
    size_t bytes = static_cast<size_t>(entry.end - entry.begin);
    if (bytes != 0) read(entry.begin, tensor.raw_data(), bytes);
    if (entry.dtype == kBool) check_bool_bytes(tensor, entry, source);
    dict.insert(entry.name, std::move(tensor));
  }
  dict.metadata() = header.metadata;
  return dict;
}

// ---- writing ----

// What save and serialize write: the header bytes (length, JSON, padding)
// and the tensors whose bytes follow in order.
struct Layout {
  std::string head;
  std::vector<Tensor> tensors;  // detached; made contiguous one at a time as written
};

// A JSON string literal for `text`; nlohmann refuses text that is not UTF-8.
std::string json_string(const std::string& text, const std::string& where, const char* what) {
  try {
    return Json(text).dump();
  } catch (const Json::exception&) {
    detail::throw_error(where, what, " '", text, "' is not valid UTF-8, which JSON requires");
  }
}

// Checks every tensor and key and builds the header, before a byte is
// written anywhere. `where` prefixes error messages ("save_safetensors: 'x': ").
Layout plan_layout(const StateDict& dict, const std::string& where) {
  Layout layout;
  std::string json = "{";

  if (!dict.metadata().empty()) {
    json += json_string(kMetadataKey, where, "key") + ":{";
    bool first = true;
    for (const auto& [key, value] : dict.metadata()) {
      if (!first) json += ",";
      json += json_string(key, where, "metadata key") + ":" +
              json_string(value, where, "metadata value");
      first = false;
    }
    json += "}";
  }

  uint64_t offset = 0;
  for (const auto& [name, value] : dict) {
    EMBER_CHECK(value.defined(), where, "tensor '", name, "' is undefined; nothing to save");
    EMBER_CHECK(name != kMetadataKey, where, "a tensor cannot be named '", kMetadataKey,
                "', the key safetensors reserves for metadata");
    Tensor tensor = value.detach();
    uint64_t bytes = static_cast<uint64_t>(tensor.numel()) * element_size(tensor.dtype());
    Json entry = {{"dtype", dtype_code(tensor.dtype())},
                  {"shape", tensor.shape()},
                  {"data_offsets", Json::array({offset, offset + bytes})}};
    if (json.size() > 1) json += ",";
    json += json_string(name, where, "tensor name") + ":" + entry.dump();
    offset += bytes;
    layout.tensors.push_back(std::move(tensor));
  }
  json += "}";

  // Spaces pad the JSON so the data region starts 8-byte aligned in the file.
  json.append((8 - json.size() % 8) % 8, ' ');
  EMBER_CHECK(json.size() <= kMaxHeaderBytes, where, "the header would take ", json.size(),
              " bytes, over the ", kMaxHeaderBytes, "-byte limit readers enforce");
  uint64_t length = json.size();
  layout.head.resize(8);
  std::memcpy(layout.head.data(), &length, sizeof(length));
  layout.head += json;
  return layout;
}

// Feeds the file's bytes to `sink` in order. Non-contiguous tensors are copied
// one at a time, so at most one extra tensor lives at once.
void emit(const Layout& layout, const std::function<void(const void*, size_t)>& sink) {
  sink(layout.head.data(), layout.head.size());
  for (const Tensor& tensor : layout.tensors) {
    Tensor dense = tensor.is_contiguous() ? tensor : tensor.contiguous();
    size_t bytes = static_cast<size_t>(dense.numel()) * element_size(dense.dtype());
    if (bytes != 0) sink(dense.raw_data(), bytes);
  }
}

// An open file descriptor, closed on every path out.
struct ReadFile {
  int fd = -1;
  ~ReadFile() {
    if (fd >= 0) ::close(fd);
  }
};

void read_exact(int fd, void* destination, size_t count, uint64_t at, const std::string& path) {
  char* bytes = static_cast<char*>(destination);
  while (count > 0) {
    ssize_t got = ::pread(fd, bytes, count, static_cast<off_t>(at));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) read_error(path, "reading failed: ", reason(errno));
    if (got == 0) read_error(path, "the file ended at byte ", at, " while reading; was it ",
                             "truncated while loading?");
    bytes += got;
    at += static_cast<uint64_t>(got);
    count -= static_cast<size_t>(got);
  }
}

}  // namespace

void save_safetensors(const StateDict& dict, const std::string& path) {
  const std::string where = "save_safetensors: '" + path + "': ";
  EMBER_CHECK(!path.empty() && path.back() != '/', where, "the path names no file");
  Layout layout = plan_layout(dict, where);

  AtomicFile file(path, where);
  emit(layout, [&](const void* bytes, size_t count) { file.write(bytes, count); });
  file.commit();
}

std::string serialize_safetensors(const StateDict& dict) {
  Layout layout = plan_layout(dict, "serialize_safetensors: ");
  std::string bytes;
  emit(layout, [&](const void* data, size_t count) {
    bytes.append(static_cast<const char*>(data), count);
  });
  return bytes;
}

StateDict parse_safetensors(const void* data, size_t size, const std::string& source_name) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t header_bytes = size >= 8 ? read_u64_le(bytes) : 0;
  check_header_length(header_bytes, size, source_name);
  const unsigned char* data_region = bytes + 8 + header_bytes;

  Header header = read_header(reinterpret_cast<const char*>(bytes + 8), header_bytes,
                              size - 8 - header_bytes, source_name);
  return build_tensors(header, [&](uint64_t at, void* destination, size_t count) {
    std::memcpy(destination, data_region + at, count);
  }, source_name);
}

StateDict load_safetensors(const std::string& path) {
  ReadFile file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) read_error(path, "cannot open: ", reason(errno));
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) read_error(path, "cannot stat: ", reason(errno));
  if (!S_ISREG(info.st_mode)) read_error(path, "not a regular file");
  uint64_t file_bytes = static_cast<uint64_t>(info.st_size);

  unsigned char prefix[8] = {};
  if (file_bytes >= 8) read_exact(file.fd, prefix, 8, 0, path);
  uint64_t header_bytes = read_u64_le(prefix);
  check_header_length(header_bytes, file_bytes, path);

  std::string text(static_cast<size_t>(header_bytes), '\0');
  read_exact(file.fd, text.data(), text.size(), 8, path);
  Header header = read_header(text.data(), text.size(), file_bytes - 8 - header_bytes, path);

  uint64_t data_start = 8 + header_bytes;
  return build_tensors(header, [&](uint64_t at, void* destination, size_t count) {
    read_exact(file.fd, destination, count, data_start + at, path);
  }, path);
}

}  // namespace ember
