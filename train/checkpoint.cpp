#include "train/checkpoint.h"

#include <algorithm>
#include <utility>

#include "framework/error.h"
#include "framework/generator_state.h"
#include "framework/safetensors.h"
#include "train/detail/metadata.h"

namespace ember::train {
namespace {

// Metadata keys of the checkpoint itself, beside the parts' entries.
constexpr const char* kFormatKey = "checkpoint.format";
constexpr const char* kFormat = "ember-training-checkpoint-1";
constexpr const char* kPartsKey = "checkpoint.parts";
constexpr const char* kEpochKey = "checkpoint.epoch";
constexpr const char* kBestKey = "checkpoint.best_metric";
constexpr const char* kExtraPrefix = "extra";

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    names.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

// A copy whose tensors share nothing with the live objects, to roll back to.
StateDict deep_copy(const StateDict& state) {
  StateDict copy;
  for (const auto& [key, value] : state) copy.insert(key, value.clone());
  copy.metadata() = state.metadata();
  return copy;
}

}  // namespace

Checkpoint::Checkpoint(nn::Module& model) {
  add(
      "model", [&model] { return model.state_dict(); },
      [&model](const StateDict& state) { model.load_state_dict(state); });
}

Checkpoint& Checkpoint::optimizer(optim::Optimizer& optimizer, const std::string& name) {
  return add(
      name, [&optimizer] { return optimizer.state_dict(); },
      [&optimizer](const StateDict& state) { optimizer.load_state_dict(state); });
}

Checkpoint& Checkpoint::generator(Generator& generator, const std::string& name) {
  return add(
      name, [&generator] { return generator_state(generator); },
      [&generator](const StateDict& state) { load_generator_state(generator, state); });
}

Checkpoint& Checkpoint::loader(data::DataLoader& loader, const std::string& name) {
  auto save = [&loader] {
    StateDict state;
    detail::put_int(state, "epoch", loader.epoch());
    return state;
  };
  auto load = [&loader, name](const StateDict& state) {
    int64_t epoch = detail::get_int(state, "epoch", name);
    EMBER_CHECK(epoch >= 0, name, ": negative epoch ", epoch);
    loader.set_epoch(epoch);
  };
  return add(name, save, load);
}

Checkpoint& Checkpoint::early_stopping(EarlyStopping& stopper, const std::string& name) {
  return add(
      name, [&stopper] { return stopper.state_dict(); },
      [&stopper](const StateDict& state) { stopper.load_state_dict(state); });
}

Checkpoint& Checkpoint::add(const std::string& name, SaveFunction save, LoadFunction load) {
  EMBER_CHECK(!name.empty() && name.find_first_of(".,") == std::string::npos &&
                  name != "checkpoint" && name != kExtraPrefix,
              "Checkpoint::add: the part name \"", name,
              "\" is empty, holds a dot or comma, or is reserved (checkpoint, extra)");
  bool taken = std::any_of(parts_.begin(), parts_.end(),
                           [&](const Part& part) { return part.name == name; });
  EMBER_CHECK(!taken, "Checkpoint::add: a part named \"", name,
              "\" was already added; give the second one another name");
  EMBER_CHECK(save && load, "Checkpoint::add: part \"", name, "\" needs both functions");
  parts_.push_back({name, std::move(save), std::move(load)});
  return *this;
}

std::vector<std::string> Checkpoint::parts() const {
  std::vector<std::string> names;
  for (const Part& part : parts_) names.push_back(part.name);
  return names;
}

StateDict Checkpoint::state_dict(const CheckpointInfo& info) const {
  StateDict state;
  std::string names;
  for (const Part& part : parts_) {
    state.merge(part.name, part.save());
    names += (names.empty() ? "" : ",") + part.name;
  }
  state.metadata()[kFormatKey] = kFormat;
  state.metadata()[kPartsKey] = names;
  detail::put_int(state, kEpochKey, info.epoch);
  detail::put_double(state, kBestKey, info.best_metric);
  for (const auto& [key, value] : info.extra) {
    state.metadata()[std::string(kExtraPrefix) + "." + key] = value;
  }
  return state;
}

void Checkpoint::save(const std::string& path, const CheckpointInfo& info) const {
  save_safetensors(state_dict(info), path);
}

CheckpointInfo Checkpoint::load(const std::string& path) {
  StateDict file = load_safetensors(path);
  const std::string owner = "Checkpoint::load: '" + path + "'";

  // Is it one of ours, with every part this object restores?
  auto format = file.metadata().find(kFormatKey);
  EMBER_CHECK(format != file.metadata().end(), owner,
              " is not an ember training checkpoint (no ", kFormatKey, " entry)");
  EMBER_CHECK(format->second == kFormat, owner, " has checkpoint format \"", format->second,
              "\"; this build reads \"", kFormat, "\"");
  std::vector<std::string> saved = split_names(detail::get_string(file, kPartsKey, owner));
  for (const Part& part : parts_) {
    bool present = std::find(saved.begin(), saved.end(), part.name) != saved.end();
    EMBER_CHECK(present, owner, " holds no '", part.name, "' state (it holds: ",
                detail::get_string(file, kPartsKey, owner), ")");
  }
  CheckpointInfo info;
  info.epoch = detail::get_int(file, kEpochKey, owner);
  info.best_metric = detail::get_double(file, kBestKey, owner);
  EMBER_CHECK(info.epoch >= 0, owner, ": negative epoch ", info.epoch);
  StateDict extra = file.extract(kExtraPrefix);
  for (const auto& [key, value] : extra.metadata()) info.extra[key] = value;

  // Load part by part; when one refuses its state, put back what the
  // earlier ones had, so a failed load changes nothing.
  std::vector<StateDict> before;
  for (const Part& part : parts_) before.push_back(deep_copy(part.save()));
  for (size_t i = 0; i < parts_.size(); ++i) {
    try {
      parts_[i].load(file.extract(parts_[i].name));
    } catch (const Error& error) {
      for (size_t j = 0; j <= i; ++j) {
        try {
          parts_[j].load(before[j]);
        } catch (const Error&) {
          // The state it held a moment ago loads; if not, report the first error.
        }
      }
      ::ember::detail::throw_error(owner, ": cannot restore '", parts_[i].name, "': ",
                                   error.what());
    }
  }
  return info;
}

}  // namespace ember::train
