#include "framework/generator_state.h"

#include <charconv>
#include <string>

#include "framework/error.h"

namespace ember {
namespace {

uint64_t read_u64(const StateDict& state, const std::string& key) {
  auto found = state.metadata().find(key);
  EMBER_CHECK(found != state.metadata().end(), "load_generator_state: no '", key,
              "' entry in the metadata; expected a dict made by generator_state");
  const std::string& text = found->second;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  EMBER_CHECK(error == std::errc() && end == text.data() + text.size() && !text.empty(),
              "load_generator_state: '", key, "' is \"", text,
              "\", not a decimal unsigned 64-bit integer");
  return value;
}

}  // namespace

StateDict generator_state(const Generator& generator) {
  StateDict state;
  state.metadata()["seed"] = std::to_string(generator.seed());
  state.metadata()["offset"] = std::to_string(generator.offset());
  return state;
}

void load_generator_state(Generator& generator, const StateDict& state) {
  uint64_t seed = read_u64(state, "seed");
  uint64_t offset = read_u64(state, "offset");
  generator.manual_seed(seed);
  generator.set_offset(offset);
}

}  // namespace ember
