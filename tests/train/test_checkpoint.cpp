// Checkpoint: a run saved halfway and resumed in fresh objects (model, Adam,
// StepLR, loader, the dropout generator) continues bit for bit as the run
// that never stopped; a bad file or part is refused and changes nothing.

#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "data/data_loader.h"
#include "data/data_test_helpers.h"
#include "data/tensor_dataset.h"
#include "framework/random.h"
#include "framework/safetensors.h"
#include "helpers.h"
#include "nn/activation.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/sequential.h"
#include "ops/loss.h"
#include "optim/adam.h"
#include "optim/lr_scheduler.h"
#include "train/checkpoint.h"

namespace {

using ember::Error;
using ember::Tensor;
using ember_test::ErrorMentions;
using ember_test::TempDir;
namespace data = ember::data;
namespace nn = ember::nn;
namespace optim = ember::optim;
using namespace ember::train;

// Everything a small training run holds: an MLP with dropout, Adam with a
// halving StepLR, and a shuffling loader over 96 random examples.
struct Run {
  nn::Sequential model;
  optim::Adam optimizer;
  optim::StepLR scheduler;
  data::DataLoader loader;
  Checkpoint checkpoint;

  explicit Run(const data::TensorDataset& dataset)
      : model(nn::Linear(8, 16), nn::ReLU(), nn::Dropout(0.2), nn::Linear(16, 3)),
        optimizer(model->parameters(), {.lr = 0.01}),
        scheduler(optimizer, /*step_size=*/1, /*gamma=*/0.5),
        loader(dataset, {.batch_size = 16, .shuffle = true, .seed = 7}),
        checkpoint(*model) {
    checkpoint.optimizer(optimizer)
        .scheduler(scheduler)
        .generator(ember::default_generator())
        .loader(loader);
  }

  void train_epochs(int epochs) {
    for (int epoch = 0; epoch < epochs; ++epoch) {
      for (data::Batch& batch : loader) {
        optimizer.zero_grad();
        Tensor loss = ember::cross_entropy(model(batch.input), batch.target);
        loss.backward();
        optimizer.step();
      }
      scheduler.step();
    }
  }

  std::vector<std::vector<float>> parameters() const {
    std::vector<std::vector<float>> values;
    for (const Tensor& p : model->parameters()) values.push_back(p.to_vector<float>());
    return values;
  }
};

data::TensorDataset random_dataset() {
  ember::Generator generator(42);
  Tensor inputs = ember::randn({96, 8}, {}, &generator);
  Tensor targets = ember::randint(0, 3, {96}, ember::kInt64, &generator);
  return data::TensorDataset(inputs, targets);
}

}  // namespace

TEST_CASE("a run resumed from a checkpoint in fresh objects matches the uninterrupted run "
          "bit for bit", "[train]") {
  TempDir dir;
  std::string path = dir.file("run.safetensors");
  data::TensorDataset dataset = random_dataset();
  ember::manual_seed(1);
  Run original(dataset);

  original.train_epochs(2);
  original.checkpoint.save(path, {.epoch = 2, .best_metric = 0.75, .extra = {{"note", "x"}}});
  original.train_epochs(2);

  ember::manual_seed(99);  // the fresh model starts from other weights
  Run resumed(dataset);
  CheckpointInfo info = resumed.checkpoint.load(path);
  resumed.train_epochs(2);

  CHECK(info.epoch == 2);
  CHECK(info.best_metric == 0.75);
  CHECK(info.extra.at("note") == "x");
  CHECK(resumed.loader.epoch() == 4);
  CHECK(resumed.scheduler.last_epoch() == 4);
  CHECK(resumed.parameters() == original.parameters());
}

TEST_CASE("a checkpoint file holds each part under its prefix", "[train]") {
  TempDir dir;
  std::string path = dir.file("parts.safetensors");
  Run run(random_dataset());
  run.train_epochs(1);

  run.checkpoint.save(path, {.epoch = 1});
  ember::StateDict file = ember::load_safetensors(path);

  CHECK(file.contains("model.0.weight"));
  CHECK(file.contains("model.3.bias"));
  CHECK(file.contains("optimizer.state.0.exp_avg"));
  CHECK(file.metadata().at("loader.epoch") == "1");
  CHECK(file.metadata().at("scheduler.last_epoch") == "1");
  CHECK(file.metadata().count("generator.offset") == 1);
  CHECK(file.metadata().at("checkpoint.parts") == "model,optimizer,scheduler,generator,loader");
  CHECK(run.checkpoint.parts().size() == 5);
}

TEST_CASE("loading a checkpoint names the file when it is missing or not a checkpoint",
          "[train]") {
  TempDir dir;
  nn::Linear model(2, 2);
  Checkpoint checkpoint(*model);
  std::string plain = dir.file("weights.safetensors");
  ember::save_safetensors(model->state_dict(), plain);

  CHECK_THROWS_MATCHES(checkpoint.load(dir.file("absent.safetensors")), Error,
                       ErrorMentions({"absent.safetensors"}));
  CHECK_THROWS_MATCHES(checkpoint.load(plain), Error,
                       ErrorMentions({"weights.safetensors", "not an ember training checkpoint"}));
}

TEST_CASE("loading a checkpoint that lacks a part or does not fit changes nothing", "[train]") {
  TempDir dir;
  std::string path = dir.file("small.safetensors");
  nn::Linear saved_model(2, 2);
  Checkpoint(*saved_model).save(path);

  nn::Linear model(2, 2);
  optim::Adam optimizer(model->parameters());
  Checkpoint with_optimizer(*model);
  with_optimizer.optimizer(optimizer);
  nn::Linear wider(2, 3);
  std::vector<float> before = model->weight.to_vector<float>();
  Checkpoint refusing(*model);
  refusing.add(
      "extra_state", [] { return ember::StateDict(); },
      [](const ember::StateDict&) { throw Error("extra_state: refused"); });
  std::string with_extra = dir.file("with_extra.safetensors");
  Checkpoint(*saved_model)
      .add("extra_state", [] { return ember::StateDict(); }, [](const ember::StateDict&) {})
      .save(with_extra);

  CHECK_THROWS_MATCHES(with_optimizer.load(path), Error,
                       ErrorMentions({"small.safetensors", "no 'optimizer' state"}));
  CHECK_THROWS_MATCHES(Checkpoint(*wider).load(path), Error,
                       ErrorMentions({"small.safetensors", "cannot restore 'model'"}));
  CHECK_THROWS_MATCHES(refusing.load(with_extra), Error,
                       ErrorMentions({"with_extra.safetensors", "extra_state: refused"}));
  CHECK(model->weight.to_vector<float>() == before);
}

TEST_CASE("checkpoint part names must be unique and free of dots", "[train]") {
  nn::Linear model(2, 2);
  optim::Adam optimizer(model->parameters());
  Checkpoint checkpoint(*model);

  CHECK_THROWS_MATCHES(checkpoint.optimizer(optimizer, "model"), Error,
                       ErrorMentions({"already added"}));
  CHECK_THROWS_MATCHES(checkpoint.optimizer(optimizer, "opt.1"), Error,
                       ErrorMentions({"holds a dot"}));
  CHECK_THROWS_MATCHES(checkpoint.optimizer(optimizer, "extra"), Error,
                       ErrorMentions({"reserved"}));
}
