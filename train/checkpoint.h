#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "data/data_loader.h"
#include "framework/random.h"
#include "framework/state_dict.h"
#include "nn/module.h"
#include "optim/optimizer.h"
#include "train/early_stopping.h"

namespace ember::train {

// What a checkpoint records about the run besides the state of its parts.
struct CheckpointInfo {
  int64_t epoch = 0;  // epochs completed when it was saved (resume at this epoch)
  double best_metric = std::numeric_limits<double>::quiet_NaN();  // e.g. the best val_loss
  std::map<std::string, std::string> extra{};  // anything else: the run's settings, a note
};

// A whole training state in one safetensors file, so a run stopped at any
// epoch continues exactly where it was: the model, and any of the optimizer,
// a scheduler, random generators, data loaders (their epoch counter, which
// with their seed fixes the next shuffles) and early stopping. Each part's
// state_dict goes into the file under its name ("model.features.0.weight",
// "optimizer.state.0.exp_avg", "scheduler.last_epoch", ...).
//   train::Checkpoint checkpoint(*model);
//   checkpoint.optimizer(optimizer).scheduler(scheduler)
//       .generator(ember::default_generator()).loader(train_loader);
//   checkpoint.save("run.safetensors", {.epoch = epoch + 1, .best_metric = best});
//   ...
//   CheckpointInfo info = checkpoint.load("run.safetensors");  // resume at info.epoch
// The parts are held by reference and must outlive the Checkpoint.
class Checkpoint {
 public:
  using SaveFunction = std::function<StateDict()>;
  using LoadFunction = std::function<void(const StateDict&)>;

  // The model is always part of it, named "model".
  explicit Checkpoint(nn::Module& model);

  // Adds a part; each returns *this to chain. Names must be unique, without
  // dots, and not "checkpoint" or "extra"; throws ember::Error otherwise.
  Checkpoint& optimizer(optim::Optimizer& optimizer, const std::string& name = "optimizer");
  // Any schedule with state_dict() and load_state_dict(const StateDict&):
  // an optim::LRScheduler or optim::ReduceLROnPlateau. Restore the
  // optimizer too (a chainable schedule's rates live there).
  template <typename Scheduler>
  Checkpoint& scheduler(Scheduler& scheduler, const std::string& name = "scheduler") {
    return add(
        name, [&scheduler] { return scheduler.state_dict(); },
        [&scheduler](const StateDict& state) { scheduler.load_state_dict(state); });
  }
  // The generator's seed and offset (default_generator() drives dropout).
  Checkpoint& generator(Generator& generator, const std::string& name = "generator");
  // The loader's epoch counter (DataLoader::epoch / set_epoch).
  Checkpoint& loader(data::DataLoader& loader, const std::string& name = "loader");
  Checkpoint& early_stopping(EarlyStopping& stopper, const std::string& name = "early_stopping");
  // Anything else that can save and restore itself.
  Checkpoint& add(const std::string& name, SaveFunction save, LoadFunction load);

  // The names of the parts, in the order they were added.
  std::vector<std::string> parts() const;

  // Every part and `info` as one StateDict (what save writes).
  StateDict state_dict(const CheckpointInfo& info = {}) const;

  // Writes state_dict(info) to `path` atomically (save_safetensors: a
  // temporary file, fsync, rename), so a crash leaves the previous file.
  // Throws ember::Error naming the file when writing fails.
  void save(const std::string& path, const CheckpointInfo& info = {}) const;

  // Restores every part from `path` and returns the info saved with them.
  // Parts in the file that were not added here are ignored (a model alone
  // can be loaded for evaluation). Throws ember::Error naming the file when
  // it cannot be read, is not an ember checkpoint, lacks one of the parts,
  // or a part refuses its state (shapes, kinds, options that differ); the
  // parts are then left as they were before the call.
  CheckpointInfo load(const std::string& path);

 private:
  struct Part {
    std::string name;
    SaveFunction save;
    LoadFunction load;
  };

  std::vector<Part> parts_;
};

}  // namespace ember::train
