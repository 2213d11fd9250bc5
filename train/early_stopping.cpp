#include "train/early_stopping.h"

#include <cmath>
#include <limits>

#include "framework/error.h"
#include "train/detail/metadata.h"

namespace ember::train {
namespace {

const char* mode_name(Mode mode) { return mode == Mode::Min ? "min" : "max"; }

double worst_value(Mode mode) {
  double inf = std::numeric_limits<double>::infinity();
  return mode == Mode::Min ? inf : -inf;
}

// Copies every tensor, so later training steps do not change the copy.
StateDict clone_state(const StateDict& state) {
  StateDict copy;
  for (const auto& [key, value] : state) copy.insert(key, value.clone());
  return copy;
}

}  // namespace

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : options_(std::move(options)), best_(worst_value(options_.mode)) {
  EMBER_CHECK(options_.patience >= 0, "EarlyStopping: patience must be >= 0, got ",
              options_.patience);
  EMBER_CHECK(options_.min_delta >= 0.0, "EarlyStopping: min_delta must be >= 0, got ",
              options_.min_delta, "; the mode says which direction improves");
}

bool EarlyStopping::is_improvement(double metric) const {
  if (std::isnan(metric)) return false;
  if (options_.mode == Mode::Min) return metric < best_ - options_.min_delta;
  return metric > best_ + options_.min_delta;
}

bool EarlyStopping::step(double metric, nn::Module& model) {
  improved_ = is_improvement(metric);
  if (improved_) {
    best_ = metric;
    best_epoch_ = epochs_;
    wait_ = 0;
    if (options_.restore_best_weights) best_state_ = clone_state(model.state_dict());
  } else {
    ++wait_;
  }
  ++epochs_;

  should_stop_ = !improved_ && wait_ >= options_.patience;
  if (should_stop_ && options_.restore_best_weights && !best_state_.empty()) {
    model.load_state_dict(best_state_);
  }
  return should_stop_;
}

void EarlyStopping::restore_best_weights(nn::Module& model) const {
  EMBER_CHECK(options_.restore_best_weights,
              "EarlyStopping::restore_best_weights: no weights were kept; construct it with "
              "restore_best_weights = true");
  EMBER_CHECK(!best_state_.empty(), "EarlyStopping::restore_best_weights: ",
              options_.monitor, " has not improved yet, so there are no best weights");
  model.load_state_dict(best_state_);
}

StateDict EarlyStopping::state_dict() const {
  StateDict state;
  state.metadata()["monitor"] = options_.monitor;
  state.metadata()["mode"] = mode_name(options_.mode);
  detail::put_double(state, "best", best_);
  detail::put_int(state, "best_epoch", best_epoch_);
  detail::put_int(state, "wait", wait_);
  detail::put_int(state, "epochs", epochs_);
  detail::put_int(state, "improved", improved_ ? 1 : 0);
  detail::put_int(state, "should_stop", should_stop_ ? 1 : 0);
  state.merge("best_weights", best_state_);
  return state;
}

void EarlyStopping::load_state_dict(const StateDict& state) {
  const std::string owner = "EarlyStopping.load_state_dict";
  const std::string& monitor = detail::get_string(state, "monitor", owner);
  const std::string& mode = detail::get_string(state, "mode", owner);
  EMBER_CHECK(monitor == options_.monitor && mode == mode_name(options_.mode), owner,
              ": the state monitors ", monitor, " (", mode, "), this object ",
              options_.monitor, " (", mode_name(options_.mode), ")");

  // Read everything before assigning anything.
  double best = detail::get_double(state, "best", owner);
  int64_t best_epoch = detail::get_int(state, "best_epoch", owner);
  int64_t wait = detail::get_int(state, "wait", owner);
  int64_t epochs = detail::get_int(state, "epochs", owner);
  bool improved = detail::get_int(state, "improved", owner) != 0;
  bool should_stop = detail::get_int(state, "should_stop", owner) != 0;
  bool best_epoch_ok = best_epoch == -1 || (best_epoch >= 0 && best_epoch < epochs);
  EMBER_CHECK(wait >= 0 && epochs >= 0 && best_epoch_ok, owner,
              ": inconsistent counters (epochs ", epochs, ", best_epoch ", best_epoch,
              ", wait ", wait, ")");
  StateDict best_state = clone_state(state.extract("best_weights"));

  best_ = best;
  best_epoch_ = best_epoch;
  wait_ = wait;
  epochs_ = epochs;
  improved_ = improved;
  should_stop_ = should_stop;
  best_state_ = std::move(best_state);
}

}  // namespace ember::train
