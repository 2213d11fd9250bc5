#include "common/fashion_training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/number_flags.h"
#include "data/batch_transforms.h"
#include "data/data_loader.h"
#include "data/mnist.h"
#include "data/random_split.h"
#include "data/subset.h"
#include "data/transform_dataset.h"
#include "data/transforms.h"
#include "ember.h"
#include "framework/atomic_file.h"
#include "optim/optim.h"
#include "train/train.h"

namespace fashion_training {

namespace {

namespace data = ember::data;
namespace nn = ember::nn;
namespace optim = ember::optim;
namespace train = ember::train;
using ember::Tensor;

constexpr int64_t kClasses = 10;
constexpr int64_t kValidSize = 5000;
constexpr double kMean = 0.2860;  // of the training images' pixels in [0, 1]
constexpr double kStd = 0.3530;

// The optimizer named on the command line, with PyTorch's defaults unless
// --lr or --weight-decay say otherwise ("momentum" and "nesterov" are SGD
// with momentum 0.9).
std::unique_ptr<optim::Optimizer> make_optimizer(const Flags& flags,
                                                 std::vector<Tensor> params) {
  const std::string& name = flags.optimizer;
  auto lr = [&](double fallback) { return flags.lr.value_or(fallback); };
  auto decay = [&](double fallback) { return flags.weight_decay.value_or(fallback); };
  if (name == "sgd" || name == "momentum" || name == "nesterov") {
    double momentum = name == "sgd" ? 0.0 : 0.9;
    return std::make_unique<optim::SGD>(
        params, optim::SGDOptions{.lr = lr(0.01), .momentum = momentum,
                                  .weight_decay = decay(0.0), .nesterov = name == "nesterov"});
  }
  if (name == "adagrad") {
    return std::make_unique<optim::Adagrad>(
        params, optim::AdagradOptions{.lr = lr(0.01), .weight_decay = decay(0.0)});
  }
  if (name == "adadelta") {
    return std::make_unique<optim::Adadelta>(
        params, optim::AdadeltaOptions{.lr = lr(1.0), .weight_decay = decay(0.0)});
  }
  if (name == "rmsprop") {
    // PyTorch's default lr of 1e-2 diverges on this network; 1e-3 trains.
    return std::make_unique<optim::RMSprop>(
        params, optim::RMSpropOptions{.lr = lr(1e-3), .weight_decay = decay(0.0)});
  }
  if (name == "adamw") {
    return std::make_unique<optim::AdamW>(
        params, optim::AdamWOptions{.lr = lr(1e-3), .weight_decay = decay(1e-2)});
  }
  if (name == "nadam") {
    return std::make_unique<optim::NAdam>(
        params, optim::NAdamOptions{.lr = lr(2e-3), .weight_decay = decay(0.0)});
  }
  if (name == "radam") {
    return std::make_unique<optim::RAdam>(
        params, optim::RAdamOptions{.lr = lr(1e-3), .weight_decay = decay(0.0)});
  }
  return std::make_unique<optim::Adam>(
      params, optim::AdamOptions{.lr = lr(1e-3), .weight_decay = decay(0.0)});
}

// The learning rate's schedule: none for "constant"; for "cosine", one half
// cosine from the optimizer's rate down to 0, stepped after every batch and
// ending with the last batch of the last epoch.
std::unique_ptr<optim::LRScheduler> make_scheduler(const Flags& flags, optim::Optimizer& optimizer,
                                                   int64_t batches_per_epoch) {
  if (flags.lr_schedule != "cosine") return nullptr;
  return std::make_unique<optim::CosineAnnealingLR>(
      optimizer, std::max<int64_t>(1, flags.epochs * batches_per_epoch));
}

// The first `limit` examples of `dataset` (all of them when limit is 0).
data::DatasetPtr first_examples(data::DatasetPtr dataset, int64_t limit) {
  if (limit <= 0 || limit >= dataset->size()) return dataset;
  std::vector<int64_t> indices(static_cast<size_t>(limit));
  for (int64_t i = 0; i < limit; ++i) indices[i] = i;
  return std::make_shared<data::Subset>(std::move(dataset), std::move(indices));
}

// Mixup, CutMix, or a random choice between them per batch.
data::BatchTransform make_batch_transform(const Flags& flags) {
  std::vector<data::BatchTransform> choices;
  if (flags.mixup > 0) choices.push_back(data::Mixup(flags.mixup, kClasses));
  if (flags.cutmix > 0) choices.push_back(data::CutMix(flags.cutmix, kClasses));
  if (choices.empty()) return nullptr;
  if (choices.size() == 1) return choices.front();
  return data::random_choice(std::move(choices));
}

// "run.safetensors" -> "run.best.safetensors".
std::string best_path(const std::string& path) {
  std::filesystem::path file(path);
  std::string extension = file.extension().string();
  return file.replace_extension().string() + ".best" + (extension.empty() ? "" : extension);
}

// Throws ember::Error, before any training, when the checkpoints cannot be
// written (their directory is missing or read-only) or would overwrite the CSV
// log; otherwise the first failure would come after an epoch's work.
void check_outputs(const Flags& flags) {
  if (flags.checkpoint.empty()) return;
  namespace fs = std::filesystem;
  std::error_code error;  // the non-throwing overloads: a failure here is not the user's
  auto resolved = [&error](const std::string& path) {
    fs::path full = fs::weakly_canonical(fs::absolute(path, error), error);
    return error ? fs::path(path).lexically_normal() : full;
  };
  auto same = [&](const std::string& a, const std::string& b) {
    return resolved(a) == resolved(b);
  };
  for (const std::string& path : {flags.checkpoint, best_path(flags.checkpoint)}) {
    EMBER_CHECK(flags.csv.empty() || !same(path, flags.csv), "--checkpoint ", flags.checkpoint,
                " and --csv ", flags.csv, " name the same file; give them different names");
  }
  EMBER_CHECK(!fs::is_directory(flags.checkpoint, error), "--checkpoint ", flags.checkpoint,
              " is a directory; name a file in it");

  // Saving starts with the temporary file beside the checkpoint: create one,
  // and let it go uncommitted, which removes it.
  ember::AtomicFile probe(flags.checkpoint, "--checkpoint '" + flags.checkpoint + "': ");
}

// The flags a resumed run must share with the run it continues: another seed
// would draw another train / valid split, another batch size, optimizer or
// starting rate another trajectory (the optimizer's saved state would also
// override a new --lr). Also the program's own (its model's settings).
std::map<std::string, std::string> run_identity(const Program& program, const Flags& flags,
                                                double initial_lr) {
  char lr[32];
  std::snprintf(lr, sizeof lr, "%.9g", initial_lr);
  std::map<std::string, std::string> identity = program.identity;
  identity.insert({{"optimizer", flags.optimizer},
                   {"lr", lr},
                   {"seed", std::to_string(flags.seed)},
                   {"batch-size", std::to_string(flags.batch_size)},
                   {"lr-schedule", flags.lr_schedule},
                   {"limit", std::to_string(flags.limit)}});
  // A cosine schedule is laid out over the epochs the run was started with.
  if (flags.lr_schedule == "cosine") identity.insert({"epochs", std::to_string(flags.epochs)});
  return identity;
}

// Throws ember::Error naming the first flag that differs from the saved run's.
// A flag the saved run does not record predates it and is not compared, except
// --lr-schedule: every run before it kept the rate constant.
void check_same_run(const std::map<std::string, std::string>& identity, const Flags& flags,
                    const train::CheckpointInfo& info) {
  for (const auto& [flag, value] : identity) {
    auto found = info.extra.find(flag);
    if (found == info.extra.end() && flag != "lr-schedule") continue;
    const std::string saved = found == info.extra.end() ? "constant" : found->second;
    EMBER_CHECK(saved == value, "--resume: ", flags.checkpoint, " was saved by a run with --",
                flag, " ", saved, ", this one has --", flag, " ", value,
                "; resume with the same value or start a new run");
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Datasets {
  data::DatasetPtr train, valid, test;
};

// The 55,000 / 5,000 train / valid split of the training files (seeded) and
// the test files, normalized; training images augmented with --augment.
// nullopt, after saying why on stderr, when the files cannot be read.
std::optional<Datasets> load_datasets(const Program& program, const Flags& flags) {
  std::shared_ptr<data::FashionMNIST> full_train;
  std::shared_ptr<data::FashionMNIST> full_test;
  try {
    full_train = std::make_shared<data::FashionMNIST>(flags.data_dir, data::Split::Train);
    full_test = std::make_shared<data::FashionMNIST>(flags.data_dir, data::Split::Test);
  } catch (const ember::Error& error) {
    const char* name = program.name.c_str();
    std::fprintf(stderr, "%s: %s\n%s: --data DIR reads them from another directory\n", name,
                 error.what(), name);
    return std::nullopt;
  }
  std::vector<data::Subset> split = data::random_split(
      full_train, {static_cast<double>(full_train->size() - kValidSize),
                   static_cast<double>(kValidSize)},
      flags.seed);

  auto normalize = std::make_shared<data::Normalize>(std::vector<double>{kMean},
                                                     std::vector<double>{kStd});
  data::TransformPtr train_transform = normalize;
  if (flags.augment) {
    train_transform = std::make_shared<data::Compose>(
        data::RandomCrop(28, {.padding = 2}), data::RandomHorizontalFlip(),
        data::Normalize({kMean}, {kStd}));
  }
  auto subset = [&](data::DatasetPtr dataset, data::TransformPtr transform) {
    return std::make_shared<data::TransformDataset>(first_examples(dataset, flags.limit),
                                                    transform);
  };
  return Datasets{subset(std::make_shared<data::Subset>(split[0]), train_transform),
                  subset(std::make_shared<data::Subset>(split[1]), normalize),
                  subset(full_test, normalize)};
}

struct EpochResult {
  double loss = 0.0;
  double accuracy = 0.0;  // with Mixup/CutMix: against the soft targets' argmax
  double seconds = 0.0;
  double images_per_second = 0.0;
};

// One pass over the training loader with a progress bar.
EpochResult train_epoch(nn::Sequential& model, optim::Optimizer& optimizer,
                        optim::LRScheduler* scheduler, data::DataLoader& loader,
                        const ember::CrossEntropyOptions& loss_options,
                        const std::string& description) {
  train::ProgressBar bar(loader.size(), {.description = description});
  double loss_sum = 0.0;
  int64_t correct = 0;
  int64_t seen = 0;
  auto start = std::chrono::steady_clock::now();
  for (data::Batch& batch : loader) {
    optimizer.zero_grad();
    Tensor logits = model(batch.input);
    Tensor loss = ember::cross_entropy(logits, batch.target, loss_options);
    loss.backward();
    optimizer.step();
    if (scheduler) scheduler->step();

    double value = loss.item();
    loss_sum += value * batch.size();
    correct += train::count_correct(logits, batch.target);
    seen += batch.size();
    bar.update(batch.size(), value);
  }
  bar.finish();
  double seconds = seconds_since(start);
  return {loss_sum / seen, static_cast<double>(correct) / seen, seconds, seen / seconds};
}

int train_and_test(const Program& program, const Flags& flags) {
  if (flags.threads > 0) ember::set_num_threads(flags.threads);
  ember::manual_seed(flags.seed);  // initialization and dropout masks

  std::optional<Datasets> datasets = load_datasets(program, flags);
  if (!datasets) return kNoDataStatus;
  data::DataLoader train_loader(datasets->train,
                                {.batch_size = flags.batch_size, .shuffle = true,
                                 .seed = flags.seed,
                                 .batch_transform = make_batch_transform(flags)});
  data::DataLoader valid_loader(datasets->valid, {.batch_size = 500, .seed = flags.seed});
  data::DataLoader test_loader(datasets->test, {.batch_size = 500, .seed = flags.seed});

  // Everything a checkpoint restores.
  nn::Sequential model = program.make_model();
  std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(flags, model->parameters());
  const std::map<std::string, std::string> identity =
      run_identity(program, flags, optimizer->lr(0));
  std::unique_ptr<optim::LRScheduler> scheduler =
      make_scheduler(flags, *optimizer, train_loader.size());
  train::EarlyStopping stopper({.monitor = "valid_loss", .patience = flags.patience});
  train::Checkpoint checkpoint(*model);
  checkpoint.optimizer(*optimizer)
      .generator(ember::default_generator())
      .loader(train_loader)
      .early_stopping(stopper);
  if (scheduler) checkpoint.scheduler(*scheduler);

  std::printf("%s: %lld train / %lld valid / %lld test images from %s\n",
              program.name.c_str(), static_cast<long long>(datasets->train->size()),
              static_cast<long long>(datasets->valid->size()),
              static_cast<long long>(datasets->test->size()), flags.data_dir.c_str());
  std::printf("  optimizer %s lr %g%s, batch %lld, %d threads, seed %llu%s%s%s\n",
              flags.optimizer.c_str(), optimizer->lr(0),
              scheduler ? " (cosine to 0)" : "", static_cast<long long>(flags.batch_size),
              ember::get_num_threads(), static_cast<unsigned long long>(flags.seed),
              program.settings.c_str(), flags.augment ? ", augment" : "",
              flags.mixup > 0 || flags.cutmix > 0 ? ", mixup/cutmix" : "");

  int64_t first_epoch = 0;
  if (flags.resume) {
    // Compare the flags first: a checkpoint of another run may lack a part
    // (a scheduler) that this one would fail on, with a less helpful message.
    check_same_run(identity, flags, train::Checkpoint(*model).load(flags.checkpoint));
    train::CheckpointInfo info = checkpoint.load(flags.checkpoint);
    first_epoch = info.epoch;
    std::printf("  resumed %s after epoch %lld (best valid loss %.4f)\n",
                flags.checkpoint.c_str(), static_cast<long long>(first_epoch), stopper.best());
    if (stopper.should_stop()) std::printf("  early stopping had ended that run; testing it\n");
  }
  check_outputs(flags);
  std::optional<train::CsvLogger> csv;
  if (!flags.csv.empty()) csv.emplace(flags.csv, flags.resume);

  ember::CrossEntropyOptions loss_options{.label_smoothing = flags.label_smoothing};
  for (int64_t epoch = first_epoch; epoch < flags.epochs && !stopper.should_stop(); ++epoch) {
    std::string name = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(flags.epochs);
    const double epoch_lr = optimizer->lr(0);  // what the CSV logs: the epoch's first rate
    auto start = std::chrono::steady_clock::now();
    EpochResult result =
        train_epoch(model, *optimizer, scheduler.get(), train_loader, loss_options, name);
    train::Evaluation valid = train::evaluate(*model, valid_loader);
    bool stop = stopper.step(valid.loss, *model);

    std::printf("%s  train loss %.4f acc %.4f  valid loss %.4f acc %.4f  %.0f img/s  %.1f s%s\n",
                name.c_str(), result.loss, result.accuracy, valid.loss, valid.accuracy,
                result.images_per_second, seconds_since(start),
                stopper.improved() ? "  (best)" : "");
    std::fflush(stdout);
    if (csv) {
      csv->log({{"epoch", static_cast<double>(epoch + 1)}, {"train_loss", result.loss},
                {"train_acc", result.accuracy}, {"valid_loss", valid.loss},
                {"valid_acc", valid.accuracy}, {"lr", epoch_lr},
                {"images_per_s", result.images_per_second}, {"train_seconds", result.seconds}});
    }
    if (!flags.checkpoint.empty()) {
      train::CheckpointInfo info{.epoch = epoch + 1, .best_metric = stopper.best(),
                                 .extra = identity};
      checkpoint.save(flags.checkpoint, info);
      if (stopper.improved()) checkpoint.save(best_path(flags.checkpoint), info);
    }
    if (stop) {
      std::printf("early stopping: no better valid loss for %lld epochs; back to epoch %lld\n",
                  static_cast<long long>(flags.patience),
                  static_cast<long long>(stopper.best_epoch() + 1));
    }
  }

  // The test runs with the best validation epoch's weights (already back
  // in place when early stopping ended the run).
  if (stopper.best_epoch() >= 0 && !stopper.should_stop()) stopper.restore_best_weights(*model);
  const auto& names = data::FashionMNIST::kClasses;
  train::ConfusionMatrix matrix(kClasses, std::vector<std::string>(names.begin(), names.end()));
  train::Evaluation test = train::evaluate(*model, test_loader, &matrix);
  std::printf("\ntest loss %.4f  test accuracy %.4f (%lld images)\n\n%s", test.loss,
              test.accuracy, static_cast<long long>(datasets->test->size()),
              matrix.to_string().c_str());
  return 0;
}

}  // namespace

Flags default_flags(const std::string& program) {
  Flags flags;
  flags.data_dir = data::FashionMNIST::kDefaultRoot;
  flags.checkpoint = program + ".safetensors";
  flags.csv = program + ".csv";
  return flags;
}

using number_flags::kNonNegative;
using number_flags::kPositive;
using number_flags::whole_number;

// A million epochs is more than any run needs, and keeps epochs * batches (a
// cosine schedule's length) far from overflowing.
constexpr uint64_t kMaxEpochs = 1'000'000;

void add_flags(CLI::App& app, Flags& flags) {
  // A repeated flag takes its last value, so wrappers (run.sh) can set defaults.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--data", flags.data_dir, "Directory with the Fashion-MNIST IDX files")
      ->capture_default_str();
  app.add_option("--epochs", flags.epochs, "Epochs to train (in all, counting resumed ones)")
      ->capture_default_str()->check(kPositive)->check(whole_number(kMaxEpochs));
  app.add_option("--batch-size", flags.batch_size, "Training batch size")
      ->capture_default_str()->check(kPositive);
  app.add_option("--optimizer", flags.optimizer, "Optimizer")
      ->capture_default_str()
      ->check(CLI::IsMember({"sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop",
                             "adam", "adamw", "nadam", "radam"}));
  app.add_option("--lr", flags.lr, "Learning rate (default: the optimizer's, 1e-3 for adam)")
      ->check(kNonNegative);
  app.add_option("--lr-schedule", flags.lr_schedule,
                 "Learning rate over the run: constant, or cosine (from --lr down to 0 at the "
                 "last batch of --epochs)")
      ->capture_default_str()->check(CLI::IsMember({"constant", "cosine"}));
  app.add_option("--weight-decay", flags.weight_decay,
                 "Weight decay (default: the optimizer's; 0 except adamw's 0.01)")
      ->check(kNonNegative);
  app.add_option("--threads", flags.threads, "Threads (0: EMBER_NUM_THREADS or every core)")
      ->capture_default_str()->check(kNonNegative);
  app.add_option("--seed", flags.seed, "Seed of the split, initialization, order, dropout")
      ->capture_default_str()->check(whole_number(UINT64_MAX));
  app.add_flag("--augment", flags.augment,
               "Random crop (padding 2) and horizontal flip of training images");
  app.add_option("--mixup", flags.mixup, "Mixup with lambda ~ Beta(ALPHA, ALPHA); 0: off")
      ->capture_default_str()->check(kNonNegative);
  app.add_option("--cutmix", flags.cutmix, "CutMix with lambda ~ Beta(ALPHA, ALPHA); 0: off")
      ->capture_default_str()->check(kNonNegative);
  app.add_option("--label-smoothing", flags.label_smoothing, "Label smoothing of the loss")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--patience", flags.patience,
                 "Epochs without a better validation loss before stopping")
      ->capture_default_str()->check(kNonNegative);
  app.add_option("--checkpoint", flags.checkpoint,
                 "Checkpoint written each epoch; the best epoch's goes to NAME.best.safetensors")
      ->capture_default_str();
  app.add_flag("--resume", flags.resume, "Continue the run saved in --checkpoint");
  app.add_option("--limit", flags.limit,
                 "Use only the first N training images (and at most N validation and test "
                 "images): a quick run")
      ->check(kNonNegative);
  app.add_option("--csv", flags.csv, "Per-epoch metrics as CSV (empty: none)")
      ->capture_default_str();
}

int run(const Program& program, const Flags& flags) {
  try {
    return train_and_test(program, flags);
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "%s: %s\n", program.name.c_str(), error.what());
    return 1;
  }
}

}  // namespace fashion_training
