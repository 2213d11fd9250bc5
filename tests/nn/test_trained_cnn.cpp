#include <catch2/catch.hpp>

#include <string>

#include "ember.h"

using namespace ember;

namespace {

// The network of tools/make_trained_cnn_fixture.py, built the ember way.
nn::Sequential small_cnn() {
  return nn::Sequential(
      nn::Conv2d(1, 8, 3, {.padding = 1}), nn::BatchNorm2d(8), nn::ReLU(), nn::MaxPool2d(2),
      nn::Conv2d(8, 16, 3, {.padding = 1}), nn::BatchNorm2d(16), nn::ReLU(), nn::MaxPool2d(2),
      nn::Flatten(), nn::Linear(16 * 7 * 7, 32), nn::ReLU(), nn::Linear(32, 10));
}

}  // namespace

TEST_CASE("A CNN trained in PyTorch reproduces its logits in ember", "[nn][parity]") {
  StateDict file =
      load_safetensors(std::string(EMBER_FIXTURES_DIR) + "/safetensors/trained_cnn.safetensors");
  StateDict probe = file.extract("probe");

  // The file's other entries are exactly the network's state_dict keys.
  StateDict weights;
  for (const auto& [key, value] : file) {
    if (!key.starts_with("probe.")) weights.insert(key, value);
  }
  nn::Sequential model = small_cnn();
  CHECK(model->state_dict().keys().size() == weights.size());
  model->load_state_dict(weights);
  CHECK(model->state_dict().at("1.num_batches_tracked").item<int64_t>() == 60);

  model->eval();
  Tensor logits = model(probe.at("input"));
  Tensor expected = probe.at("logits");
  REQUIRE(logits.shape() == expected.shape());
  const double max_error = (logits - expected).abs().max().item();
  CHECK(max_error < 1e-5);  // float32 sums in a different order; 1.8e-6 seen
  CHECK(logits.argmax(1).to_vector<int64_t>() == expected.argmax(1).to_vector<int64_t>());
}
