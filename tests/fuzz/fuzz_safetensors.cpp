// libFuzzer target for the safetensors reader (build and run: README.md here).
//
// Any input may be rejected with ember::Error; anything else is a bug: a
// sanitizer report, another exception, or an accepted file that does not
// survive a write and a second read unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "framework/error.h"
#include "framework/safetensors.h"

namespace {

bool same_bytes(const ember::Tensor& a, const ember::Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  size_t bytes = static_cast<size_t>(a.numel()) * ember::element_size(a.dtype());
  return bytes == 0 || std::memcmp(a.raw_data(), b.raw_data(), bytes) == 0;
}

// An accepted file must write back and read again to the same dict.
void check_round_trip(const ember::StateDict& dict) {
  std::string bytes = ember::serialize_safetensors(dict);
  ember::StateDict again = ember::parse_safetensors(bytes.data(), bytes.size(), "round trip");
  if (again.keys() != dict.keys() || again.metadata() != dict.metadata()) std::abort();
  for (const auto& [key, tensor] : dict) {
    if (!same_bytes(tensor, again.at(key))) std::abort();
  }
}

void parse_and_check(const void* data, size_t size) {
  ember::StateDict dict;
  try {
    dict = ember::parse_safetensors(data, size, "fuzz input");
  } catch (const ember::Error&) {
    return;
  }
  check_round_trip(dict);
}

// The input with its length prefix rewritten to end the header at the last
// '}', so mutations that grow or shrink the JSON still get past the length
// check to the header rules.
std::string with_fitted_length(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  size_t close = bytes.find_last_of('}');
  if (size < 8 || close == std::string::npos || close < 8) return {};
  uint64_t length = close + 1 - 8;
  std::memcpy(bytes.data(), &length, sizeof(length));
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  parse_and_check(data, size);
  std::string fitted = with_fitted_length(data, size);
  if (!fitted.empty()) parse_and_check(fitted.data(), fitted.size());
  return 0;
}
