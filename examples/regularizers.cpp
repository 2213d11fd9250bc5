// Regularizers side by side on a small CNN that over-fits 2,000 Fashion-MNIST
// training images: none, weight decay, dropout, batch norm, group norm, data
// augmentation, input noise, label smoothing, Mixup, CutMix and early
// stopping. Every run starts from the same seed (same initial weights where
// the layers agree, same batch order), trains for the same number of epochs
// with Adam (lr 1e-3, batch 64), and is scored on the clean training images
// and on 5,000 validation images, both in evaluation mode.
//
//   x: [B, 1, 28, 28] normalized with mean 0.2860, std 0.3530
//   [GaussianNoise]                             input noise only
//   conv3x3(1->16, pad 1) [norm] ReLU maxpool2  -> [B, 16, 14, 14]
//   conv3x3(16->32, pad 1) [norm] ReLU maxpool2 -> [B, 32, 7, 7]
//   flatten [dropout]                           -> [B, 1568]
//   linear 1568->128 ReLU [dropout]             -> [B, 128]
//   linear 128->10                              -> logits [B, 10]
//
// The images: a seeded permutation of the 60,000 training files gives 2,000
// to train on, 5,000 to validate and 1,000 more on which early stopping
// watches the loss (so the validation score stays untouched by the choice of
// epoch). Writes into --out: regularizers.csv (the table), regularizers_
// epochs.csv (loss per epoch) and regularizers.png (train vs validation
// accuracy). Exits with status 2 when the data files are missing.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/number_flags.h"
#include "common/plot.h"
#include "data/batch_transforms.h"
#include "data/data_loader.h"
#include "data/mnist.h"
#include "data/random_split.h"
#include "data/subset.h"
#include "data/transform_dataset.h"
#include "data/transforms.h"
#include "ember.h"
#include "optim/optim.h"
#include "train/train.h"

namespace {

namespace data = ember::data;
namespace nn = ember::nn;
namespace train = ember::train;
using ember::Tensor;

constexpr int64_t kClasses = 10;
constexpr double kMean = 0.2860;  // of the training images' pixels in [0, 1]
constexpr double kStd = 0.3530;
constexpr int kNoDataStatus = 2;

struct Settings {
  std::string data_dir = data::FashionMNIST::kDefaultRoot;
  int64_t train_size = 2000;
  int64_t valid_size = 5000;
  int64_t monitor_size = 1000;
  int64_t epochs = 40;
  int64_t patience = 5;
  std::string out = "experiments-out/regularizers";
  int threads = 0;
  uint64_t seed = 0;
  bool quick = false;
};

enum class Norm { None, Batch, Group };

// One run: what it changes from the plain model and the plain loop.
struct Regularizer {
  std::string name;
  std::string setting;
  Norm norm = Norm::None;
  double dropout = 0.0;
  double input_noise = 0.0;   // std, in normalized units
  double weight_decay = 0.0;  // AdamW's decoupled decay (0: Adam itself)
  bool augment = false;
  double label_smoothing = 0.0;
  double mixup = 0.0;   // Beta(alpha, alpha)
  double cutmix = 0.0;  // Beta(alpha, alpha)
  bool early_stopping = false;
};

std::vector<Regularizer> regularizers(int64_t patience) {
  return {
      {.name = "none", .setting = "the plain model"},
      {.name = "weight decay", .setting = "AdamW, decoupled decay 0.5", .weight_decay = 0.5},
      {.name = "dropout", .setting = "p 0.5 before each linear layer", .dropout = 0.5},
      {.name = "batch norm", .setting = "BatchNorm2d after each conv", .norm = Norm::Batch},
      {.name = "group norm", .setting = "GroupNorm, 4 groups, after each conv",
       .norm = Norm::Group},
      {.name = "augmentation", .setting = "random crop (padding 2) + horizontal flip",
       .augment = true},
      {.name = "input noise", .setting = "GaussianNoise std 0.5 on the input",
       .input_noise = 0.5},
      {.name = "label smoothing", .setting = "0.1", .label_smoothing = 0.1},
      {.name = "mixup", .setting = "alpha 0.4", .mixup = 0.4},
      {.name = "cutmix", .setting = "alpha 1.0", .cutmix = 1.0},
      {.name = "early stopping",
       .setting = "patience " + std::to_string(patience) + " on the held-out loss",
       .early_stopping = true},
  };
}

// The network of the header comment with `regularizer`'s layers in place.
nn::Sequential make_model(const Regularizer& regularizer) {
  nn::Sequential model;
  if (regularizer.input_noise > 0) model->push_back(nn::GaussianNoise(regularizer.input_noise));
  for (auto [in, out] : {std::pair<int64_t, int64_t>{1, 16}, {16, 32}}) {
    model->push_back(nn::Conv2d(in, out, 3, {.padding = 1}));
    if (regularizer.norm == Norm::Batch) model->push_back(nn::BatchNorm2d(out));
    if (regularizer.norm == Norm::Group) model->push_back(nn::GroupNorm(4, out));
    model->push_back(nn::ReLU());
    model->push_back(nn::MaxPool2d(2));
  }
  model->push_back(nn::Flatten());
  if (regularizer.dropout > 0) model->push_back(nn::Dropout(regularizer.dropout));
  model->push_back(nn::Linear(32 * 7 * 7, 128));
  model->push_back(nn::ReLU());
  if (regularizer.dropout > 0) model->push_back(nn::Dropout(regularizer.dropout));
  model->push_back(nn::Linear(128, kClasses));
  return model;
}

// The three disjoint sets of images, as datasets of raw [1, 28, 28] images in [0, 1].
struct Splits {
  data::DatasetPtr train, valid, monitor;
};

std::optional<Splits> load_splits(const Settings& settings) {
  std::shared_ptr<data::FashionMNIST> images;
  try {
    images = std::make_shared<data::FashionMNIST>(settings.data_dir, data::Split::Train);
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "regularizers: %s\nregularizers: --data DIR reads them from another "
                 "directory\n", error.what());
    return std::nullopt;
  }
  const int64_t used = settings.train_size + settings.valid_size + settings.monitor_size;
  EMBER_CHECK(used <= images->size(), "regularizers: ", used, " images asked for, the files hold ",
              images->size());
  std::vector<data::Subset> parts = data::random_split(
      images,
      {static_cast<double>(settings.train_size), static_cast<double>(settings.valid_size),
       static_cast<double>(settings.monitor_size), static_cast<double>(images->size() - used)},
      settings.seed);
  auto shared = [](data::Subset subset) { return std::make_shared<data::Subset>(subset); };
  return Splits{shared(parts[0]), shared(parts[1]), shared(parts[2])};
}

data::DatasetPtr normalized(data::DatasetPtr images) {
  return std::make_shared<data::TransformDataset>(std::move(images),
                                                  data::Normalize({kMean}, {kStd}));
}

data::DataLoader training_loader(const Splits& splits, const Regularizer& regularizer,
                                 const Settings& settings) {
  data::DatasetPtr dataset = normalized(splits.train);
  if (regularizer.augment) {
    dataset = std::make_shared<data::TransformDataset>(
        splits.train, std::make_shared<data::Compose>(data::RandomCrop(28, {.padding = 2}),
                                                      data::RandomHorizontalFlip(),
                                                      data::Normalize({kMean}, {kStd})));
  }
  data::BatchTransform mixing = nullptr;
  if (regularizer.mixup > 0) mixing = data::Mixup(regularizer.mixup, kClasses);
  if (regularizer.cutmix > 0) mixing = data::CutMix(regularizer.cutmix, kClasses);
  return data::DataLoader(dataset, {.batch_size = 64, .shuffle = true, .seed = settings.seed,
                                    .batch_transform = mixing});
}

struct EpochLog {
  int64_t epoch = 0;
  double train_loss = 0.0;  // on the (augmented, mixed) batches trained on
  train::Evaluation monitor;
};

struct Outcome {
  Regularizer regularizer;
  int64_t epochs = 0;        // trained
  int64_t best_epoch = 0;    // whose weights were scored (early stopping), else the last
  train::Evaluation train;   // clean training images
  train::Evaluation valid;
  double seconds = 0.0;
  std::vector<EpochLog> log;
};

double train_epoch(nn::Sequential& model, ember::optim::Optimizer& optimizer,
                   data::DataLoader& loader, const ember::CrossEntropyOptions& loss_options) {
  double loss_sum = 0.0;
  int64_t seen = 0;
  for (data::Batch& batch : loader) {
    optimizer.zero_grad();
    Tensor loss = ember::cross_entropy(model(batch.input), batch.target, loss_options);
    loss.backward();
    optimizer.step();
    loss_sum += loss.item() * batch.size();
    seen += batch.size();
  }
  return loss_sum / seen;
}

Outcome run_one(const Regularizer& regularizer, const Splits& splits, const Settings& settings) {
  auto start = std::chrono::steady_clock::now();
  ember::manual_seed(settings.seed);  // initial weights, dropout masks, input noise
  nn::Sequential model = make_model(regularizer);
  ember::optim::AdamW optimizer(model->parameters(),
                                {.lr = 1e-3, .weight_decay = regularizer.weight_decay});
  data::DataLoader train_loader = training_loader(splits, regularizer, settings);
  data::DataLoader clean_train_loader(normalized(splits.train), {.batch_size = 500});
  data::DataLoader valid_loader(normalized(splits.valid), {.batch_size = 500});
  data::DataLoader monitor_loader(normalized(splits.monitor), {.batch_size = 500});
  train::EarlyStopping stopper({.monitor = "monitor_loss", .patience = settings.patience});
  const ember::CrossEntropyOptions loss_options{.label_smoothing = regularizer.label_smoothing};

  Outcome outcome;
  outcome.regularizer = regularizer;
  for (int64_t epoch = 0; epoch < settings.epochs; ++epoch) {
    double train_loss = train_epoch(model, optimizer, train_loader, loss_options);
    train::Evaluation monitor = train::evaluate(*model, monitor_loader);
    outcome.log.push_back({epoch + 1, train_loss, monitor});
    outcome.epochs = epoch + 1;
    if (regularizer.early_stopping && stopper.step(monitor.loss, *model)) break;
  }
  outcome.best_epoch = outcome.epochs;
  if (regularizer.early_stopping) {
    // step() put the best weights back if it stopped; after the last epoch, do it here.
    if (!stopper.should_stop()) stopper.restore_best_weights(*model);
    outcome.best_epoch = stopper.best_epoch() + 1;
  }

  outcome.train = train::evaluate(*model, clean_train_loader);
  outcome.valid = train::evaluate(*model, valid_loader);
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

void write_csv(const std::vector<Outcome>& outcomes, const std::string& directory) {
  std::ofstream table(directory + "/regularizers.csv");
  table << "regularizer,setting,epochs,scored_epoch,train_accuracy,valid_accuracy,gap,"
           "train_loss,valid_loss,seconds\n";
  std::ofstream epochs(directory + "/regularizers_epochs.csv");
  epochs << "regularizer,epoch,train_loss,monitor_loss,monitor_accuracy\n";
  for (const Outcome& outcome : outcomes) {
    const Regularizer& r = outcome.regularizer;
    table << r.name << ",\"" << r.setting << "\"," << outcome.epochs << ','
          << outcome.best_epoch << ',' << outcome.train.accuracy << ','
          << outcome.valid.accuracy << ',' << outcome.train.accuracy - outcome.valid.accuracy
          << ',' << outcome.train.loss << ',' << outcome.valid.loss << ',' << outcome.seconds
          << '\n';
    for (const EpochLog& row : outcome.log) {
      epochs << r.name << ',' << row.epoch << ',' << row.train_loss << ','
             << row.monitor.loss << ',' << row.monitor.accuracy << '\n';
    }
  }
  EMBER_CHECK(table.good() && epochs.good(), "regularizers: cannot write the CSV files in ",
              directory);
}

// Grey bars: accuracy on the training images; over them, one coloured bar per
// regularizer: validation accuracy. The grey left showing is the gap.
void plot_accuracies(const std::vector<Outcome>& outcomes, const Settings& settings,
                     const std::string& path) {
  static const char* colors[] = {"#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                 "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
                                 "#393b79"};
  char title[160];
  std::snprintf(title, sizeof title,
                "Small CNN on %lld Fashion-MNIST images, %lld epochs: training vs validation "
                "accuracy (%lld images)",
                static_cast<long long>(settings.train_size),
                static_cast<long long>(settings.epochs),
                static_cast<long long>(settings.valid_size));
  plot::Figure figure{.title = title, .x_label = "regularizer",
                      .y_label = "accuracy"};
  figure.y_range = plot::Range{0.6, 1.0};
  figure.x_range = plot::Range{0.4, outcomes.size() + 0.6};
  figure.key = "outside right top";
  std::vector<double> positions, train_accuracy;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    positions.push_back(i + 1.0);
    train_accuracy.push_back(outcomes[i].train.accuracy);
  }
  figure.add("training accuracy", positions, train_accuracy, plot::Style::Bars, "#d9d9d9");
  for (size_t i = 0; i < outcomes.size(); ++i) {
    char label[96];
    std::snprintf(label, sizeof label, "%zu %s: valid %.3f", i + 1,
                  outcomes[i].regularizer.name.c_str(), outcomes[i].valid.accuracy);
    figure.add(label, {positions[i]}, {outcomes[i].valid.accuracy}, plot::Style::Bars,
               colors[i % std::size(colors)]);
  }
  plot::draw([&] { plot::save_png(figure, path, {.width = 1200, .height = 560}); });
}

int run(const Settings& settings) {
  if (settings.threads > 0) ember::set_num_threads(settings.threads);
  plot::create_directories(settings.out);
  std::optional<Splits> splits = load_splits(settings);
  if (!splits) return kNoDataStatus;
  std::printf("regularizers: %lld train / %lld valid / %lld early-stopping images from %s\n"
              "  small CNN, Adam lr 0.001, batch 64, %lld epochs, seed %llu, %d threads\n",
              static_cast<long long>(settings.train_size),
              static_cast<long long>(settings.valid_size),
              static_cast<long long>(settings.monitor_size), settings.data_dir.c_str(),
              static_cast<long long>(settings.epochs),
              static_cast<unsigned long long>(settings.seed), ember::get_num_threads());
  std::printf("%-16s %-42s %6s %9s %9s %7s %10s %7s\n", "regularizer", "setting", "epochs",
              "train acc", "valid acc", "gap", "valid loss", "seconds");

  std::vector<Outcome> outcomes;
  for (const Regularizer& regularizer : regularizers(settings.patience)) {
    Outcome outcome = run_one(regularizer, *splits, settings);
    std::string epochs = std::to_string(outcome.epochs);
    if (regularizer.early_stopping) epochs = std::to_string(outcome.best_epoch) + "/" + epochs;
    std::printf("%-16s %-42s %6s %9.4f %9.4f %7.4f %10.4f %7.1f\n", regularizer.name.c_str(),
                regularizer.setting.c_str(), epochs.c_str(), outcome.train.accuracy,
                outcome.valid.accuracy, outcome.train.accuracy - outcome.valid.accuracy,
                outcome.valid.loss, outcome.seconds);
    std::fflush(stdout);
    outcomes.push_back(std::move(outcome));
  }

  write_csv(outcomes, settings.out);
  plot_accuracies(outcomes, settings, settings.out + "/regularizers.png");
  std::printf("wrote %s/regularizers.csv, regularizers_epochs.csv, regularizers.png\n",
              settings.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ember::blas::reexec_with_fast_kernels(argv);

  Settings settings;
  CLI::App app{"Regularizers side by side on a small CNN over-fitting 2,000 Fashion-MNIST images"};
  app.add_flag("--quick", settings.quick,
               "1,000 training, 1,000 validation, 500 early-stopping images, 6 epochs");
  app.add_option("--data", settings.data_dir, "Directory with the Fashion-MNIST IDX files")
      ->capture_default_str();
  app.add_option("--out", settings.out, "Directory for the CSV files and the PNG")
      ->capture_default_str();
  app.add_option("--threads", settings.threads, "Threads (0: EMBER_NUM_THREADS or every core)")
      ->capture_default_str()->check(number_flags::kNonNegative);
  app.add_option("--seed", settings.seed, "Seed of the split, the weights, the batch order")
      ->capture_default_str();
  app.add_option("--epochs", settings.epochs, "Epochs for every run")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--train-size", settings.train_size, "Training images")
      ->capture_default_str()->check(CLI::Range(64, 50000));
  CLI11_PARSE(app, argc, argv);
  // --quick: smaller defaults; sizes given on the command line stay.
  if (settings.quick) {
    if (app.count("--train-size") == 0) settings.train_size = 1000;
    settings.valid_size = 1000;
    settings.monitor_size = 500;
    if (app.count("--epochs") == 0) settings.epochs = 6;
    settings.patience = 2;
  }

  try {
    return run(settings);
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "regularizers: %s\n", error.what());
    return 1;
  }
}
