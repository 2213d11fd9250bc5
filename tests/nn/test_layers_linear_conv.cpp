// Linear, Bilinear, Identity, Flatten, Unflatten, Conv*, ConvTranspose* and
// Embedding modules: construction through the handles, PyTorch's printed form
// and state_dict layout, outputs and gradients against PyTorch 1.13 (fixtures
// in tests/fixtures/layers_linear_conv.txt from tools/make_layer_fixtures.py),
// default initialisation, gradient checks and error messages.

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ember.h"
#include "helpers.h"
#include "parity/fixture_reader.h"

using namespace ember;
using ember_test::ErrorMentions;

namespace {

const char* const kFixtures = EMBER_FIXTURES_DIR "/layers_linear_conv.txt";

// A module and how to call it with the fixture's inputs.
struct LayerCase {
  std::shared_ptr<nn::Module> module;
  std::function<Tensor(const TensorList&)> forward;
};

template <typename Holder>
LayerCase single_input(Holder holder) {
  std::shared_ptr<nn::Module> module = holder.ptr();
  return {module, [module](const TensorList& in) { return module->forward(in[0]); }};
}

// The ember twin of each module in tools/make_layer_fixtures.py, by case name.
LayerCase make_layer(const ember_test::Fixture& fixture) {
  const std::string& name = fixture.name;
  if (name == "linear") return single_input(nn::Linear(3, 4));
  if (name == "linear_no_bias_3d_input") return single_input(nn::Linear(5, 2, {.bias = false}));
  if (name == "linear_1d_input") return single_input(nn::Linear(4, 3));
  if (name == "bilinear" || name == "bilinear_no_bias_batch_dims") {
    nn::Bilinear bilinear = name == "bilinear" ? nn::Bilinear(3, 4, 2)
                                               : nn::Bilinear(2, 3, 4, {.bias = false});
    return {bilinear.ptr(), [bilinear](const TensorList& in) { return bilinear(in[0], in[1]); }};
  }
  if (name == "identity") return single_input(nn::Identity());
  if (name == "flatten") return single_input(nn::Flatten());
  if (name == "flatten_middle") return single_input(nn::Flatten(1, 2));
  if (name == "unflatten") return single_input(nn::Unflatten(1, {2, 3}));
  if (name == "unflatten_inferred") return single_input(nn::Unflatten(-1, {2, -1}));
  if (name == "conv1d_strided_groups") {
    return single_input(nn::Conv1d(4, 6, 3, {.stride = 2, .padding = 1, .groups = 2}));
  }
  if (name == "conv1d_same_dilated") {
    return single_input(nn::Conv1d(3, 4, 4, {.padding = "same", .dilation = 2, .bias = false}));
  }
  if (name == "conv2d_padded") return single_input(nn::Conv2d(2, 4, 3, {.padding = 1}));
  if (name == "conv2d_rectangular") {
    return single_input(nn::Conv2d(
        3, 6, {2, 3}, {.stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}, .groups = 3}));
  }
  if (name == "conv2d_valid_unbatched") {
    return single_input(nn::Conv2d(2, 3, 3, {.padding = "valid"}));
  }
  if (name == "conv3d") {
    return single_input(nn::Conv3d(2, 4, {2, 3, 2}, {.stride = {1, 2, 1}, .padding = {1, 0, 1}}));
  }
  if (name == "conv_transpose1d") {
    return single_input(
        nn::ConvTranspose1d(4, 2, 3, {.stride = 2, .padding = 1, .output_padding = 1}));
  }
  if (name == "conv_transpose2d_groups_dilated") {
    return single_input(nn::ConvTranspose2d(4, 6, {3, 2},
                                            {.stride = {2, 1},
                                             .padding = {1, 0},
                                             .output_padding = {1, 0},
                                             .groups = 2,
                                             .dilation = {1, 2}}));
  }
  if (name == "conv_transpose2d_unbatched_no_bias") {
    return single_input(nn::ConvTranspose2d(3, 2, 3, {.bias = false}));
  }
  if (name == "conv_transpose2d_output_size") {
    nn::ConvTranspose2d layer(2, 3, 3, {.stride = 3, .padding = 1});
    Shape output_size = fixture.integers("output_size");
    return {layer.ptr(), [layer, output_size](const TensorList& in) {
              return layer(in[0], output_size);
            }};
  }
  if (name == "conv_transpose3d") return single_input(nn::ConvTranspose3d(2, 3, 2, {.stride = 2}));
  if (name == "embedding") return single_input(nn::Embedding(10, 3));
  if (name == "embedding_padding_idx") {
    return single_input(nn::Embedding(6, 4, {.padding_idx = -2}));
  }
  if (name == "sequential_cnn") {
    return single_input(nn::Sequential(nn::Conv2d(1, 2, 3), nn::Flatten(), nn::Linear(18, 4)));
  }
  FAIL("no ember module for fixture case " << name << "; add its twin here");
  return {};
}

// The words of a param line, joined back with single spaces (a repr line).
std::string joined(const ember_test::Fixture& fixture, const std::string& key) {
  std::string text;
  for (const std::string& word : fixture.params.at(key)) text += (text.empty() ? "" : " ") + word;
  return text;
}

Tensor parameter_named(const nn::Module& module, const std::string& key) {
  for (const auto& [name, tensor] : module.named_parameters()) {
    if (name == key) return tensor;
  }
  return Tensor();
}

double max_abs(const Tensor& t) { return t.abs().max().item(); }

double std_of(const Tensor& t) {
  Tensor centered = t.to(kFloat64) - t.to(kFloat64).mean();
  return std::sqrt((centered * centered).mean().item());
}

}  // namespace

// ---- PyTorch parity ----

TEST_CASE("layers print, name their state and compute as PyTorch's", "[nn][parity]") {
  for (const ember_test::Fixture& fixture : ember_test::read_fixtures(kFixtures)) {
    SECTION(fixture.name) {
      LayerCase layer = make_layer(fixture);
      nn::Module& module = *layer.module;

      if (fixture.has("repr")) CHECK(module.to_string() == joined(fixture, "repr"));
      const std::vector<std::string>& keys = fixture.params.at("keys");
      REQUIRE(module.state_dict().keys() == keys);

      // Load PyTorch's weights through the state dict, shapes checked on the way.
      StateDict state;
      for (const std::string& key : keys) {
        state.insert(key, ember_test::make_tensor(fixture.tensors.at("state." + key)));
      }
      module.load_state_dict(state);

      TensorList inputs;
      for (int i = 0; i < fixture.input_count(); ++i) {
        Tensor x = ember_test::make_tensor(fixture.tensors.at("in" + std::to_string(i)));
        if (x.is_floating_point()) x.requires_grad_(true);
        inputs.push_back(x);
      }
      Tensor out = layer.forward(inputs);

      CHECK_CLOSE(out, ember_test::make_tensor(fixture.tensors.at("out")), 1e-5, 1e-5);

      out.backward(ember_test::make_tensor(fixture.tensors.at("gout")));
      for (size_t i = 0; i < inputs.size(); ++i) {
        const std::string key = "grad.in" + std::to_string(i);
        if (!fixture.has_tensor(key)) continue;
        INFO(key);
        CHECK_CLOSE(inputs[i].grad(), ember_test::make_tensor(fixture.tensors.at(key)), 1e-4,
                    1e-5);
      }
      for (const std::string& key : keys) {
        INFO("grad." + key);
        CHECK_CLOSE(parameter_named(module, key).grad(),
                    ember_test::make_tensor(fixture.tensors.at("grad." + key)), 1e-4, 1e-5);
      }
    }
  }
}

// ---- construction and printing ----

TEST_CASE("layer handles take braced options and print like PyTorch", "[nn]") {
  nn::Conv2d conv(1, 32, 3, {.padding = 1});
  nn::Linear fc(784, 128);
  nn::Linear plain(3, 4, {.bias = false});

  CHECK(conv->to_string() == "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))");
  CHECK(fc->to_string() == "Linear(in_features=784, out_features=128, bias=True)");
  CHECK(plain->to_string() == "Linear(in_features=3, out_features=4, bias=False)");
  CHECK(conv(randn({2, 1, 28, 28})).shape() == Shape{2, 32, 28, 28});
  CHECK(fc(randn({5, 784})).shape() == Shape{5, 128});
  CHECK_FALSE(plain->bias.defined());
  CHECK(plain->parameters().size() == 1);
  CHECK(conv->weight.shape() == Shape{32, 1, 3, 3});
  CHECK(conv->kernel_size == Shape{3, 3});
  CHECK(conv->padding == Shape{1, 1});

  nn::Sequential model(nn::Conv2d(1, 4, 3, {.stride = 2}), nn::Flatten(), nn::Linear(36, 10));
  CHECK(model(randn({3, 1, 7, 7})).shape() == Shape{3, 10});
  CHECK(model->to_string() ==
        "Sequential(\n"
        "  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(2, 2))\n"
        "  (1): Flatten(start_dim=1, end_dim=-1)\n"
        "  (2): Linear(in_features=36, out_features=10, bias=True)\n"
        ")");
}

TEST_CASE("conv layers print padding words, dilation, groups and missing bias", "[nn]") {
  CHECK(nn::Conv1d(4, 8, 3, {.padding = "same", .dilation = 2, .groups = 2, .bias = false})
            ->to_string() ==
        "Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=same, dilation=(2,), groups=2, "
        "bias=False)");
  CHECK(nn::Conv3d(4, 8, {1, 2, 3}, {.padding = "valid"})->to_string() ==
        "Conv3d(4, 8, kernel_size=(1, 2, 3), stride=(1, 1, 1), padding=valid)");
  CHECK(nn::ConvTranspose2d(4, 8, 3, {.stride = 2, .padding = 1, .output_padding = 1,
                                      .groups = 2})
            ->to_string() ==
        "ConvTranspose2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
        "output_padding=(1, 1), groups=2)");
  CHECK(nn::Bilinear(2, 3, 4)->to_string() ==
        "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)");
  CHECK(nn::Unflatten(1, {5})->to_string() == "Unflatten(dim=1, unflattened_size=(5,))");
  CHECK(nn::Identity()->to_string() == "Identity()");
  CHECK(nn::Embedding(10, 3, {.padding_idx = -1})->to_string() ==
        "Embedding(10, 3, padding_idx=9)");
}

TEST_CASE("identity returns its input and flatten shares storage", "[nn]") {
  Tensor x = randn({2, 3, 4});
  CHECK(nn::Identity()(x).same(x));
  Tensor flat = nn::Flatten()(x);
  CHECK(flat.shape() == Shape{2, 12});
  CHECK(flat.storage() == x.storage());
  CHECK(nn::Flatten(0)(scalar_tensor(3.0)).shape() == Shape{1});
  CHECK(nn::Unflatten(0, {-1, 1})(randn({6})).shape() == Shape{6, 1});
}

// ---- default initialisation ----

TEST_CASE("default init draws weights and biases within PyTorch's bounds", "[nn]") {
  // Large tensors: the extreme draw lands within 1% of the bound.
  auto check_bound = [](const Tensor& t, double bound) {
    INFO("shape " << format_shape(t.shape()) << ", bound " << bound);
    CHECK(max_abs(t) <= bound);
    if (t.numel() >= 1000) CHECK(max_abs(t) >= 0.99 * bound);
  };

  nn::Linear linear(784, 128);
  check_bound(linear->weight, 1.0 / std::sqrt(784.0));
  check_bound(linear->bias, 1.0 / std::sqrt(784.0));

  nn::Conv2d conv(16, 32, 3);
  check_bound(conv->weight, 1.0 / std::sqrt(16.0 * 9));
  check_bound(conv->bias, 1.0 / std::sqrt(16.0 * 9));

  // ConvTranspose's fan_in is weight.shape[1] * kernel = (out / groups) * kernel.
  nn::ConvTranspose2d transposed(16, 8, 3, {.groups = 2});
  CHECK(transposed->weight.shape() == Shape{16, 4, 3, 3});
  check_bound(transposed->weight, 1.0 / std::sqrt(4.0 * 9));
  check_bound(transposed->bias, 1.0 / std::sqrt(4.0 * 9));

  // Bilinear bounds both by 1/sqrt(in1_features).
  nn::Bilinear bilinear(20, 30, 40);
  check_bound(bilinear->weight, 1.0 / std::sqrt(20.0));
  check_bound(bilinear->bias, 1.0 / std::sqrt(20.0));

  nn::Embedding embedding(1000, 64);
  CHECK(std::abs(embedding->weight.mean().item()) < 0.01);
  CHECK(std_of(embedding->weight) == Approx(1.0).epsilon(0.02));
}

TEST_CASE("reset_parameters draws new values from the same distribution", "[nn]") {
  nn::Linear linear(50, 40);
  Tensor before = linear->weight.clone();
  Tensor weight = linear->weight;

  linear->reset_parameters();

  CHECK(linear->weight.same(weight));
  CHECK_FALSE(allclose(linear->weight, before));
  CHECK(max_abs(linear->weight) <= 1.0 / std::sqrt(50.0));
  CHECK(linear->weight.is_leaf());
  CHECK(linear->weight.requires_grad());
}

// ---- Embedding ----

TEST_CASE("embedding keeps the padding row at zero and gives it no gradient", "[nn]") {
  nn::Embedding embedding(5, 3, {.padding_idx = 1});
  CHECK(embedding->weight[1].abs().sum().item() == 0.0);
  CHECK(embedding->weight[0].abs().sum().item() > 0.0);

  Tensor indices = tensor(std::vector<int64_t>{1, 2, 1, 2, 4}, {5});
  Tensor out = embedding(indices);
  out.sum().backward();

  Tensor grad = embedding->weight.grad();
  CHECK(grad[1].abs().sum().item() == 0.0);
  CHECK(grad[2].to_vector<float>() == std::vector<float>{2, 2, 2});
  CHECK(grad[4].to_vector<float>() == std::vector<float>{1, 1, 1});
  CHECK(grad[0].abs().sum().item() == 0.0);
}

TEST_CASE("embedding maps indices of any shape to rows", "[nn]") {
  nn::Embedding embedding(7, 4);
  Tensor scalar = embedding(scalar_tensor(3.0, kInt64));
  CHECK(scalar.shape() == Shape{4});
  CHECK(scalar.to_vector<float>() == embedding->weight[3].to_vector<float>());
  Tensor batch = embedding(zeros({2, 3, 5}, kInt64));
  CHECK(batch.shape() == Shape{2, 3, 5, 4});
  CHECK(embedding(zeros({0}, kInt64)).shape() == Shape{0, 4});
}

// ---- gradient checks ----

TEST_CASE("bilinear passes gradcheck for its inputs, weight and bias", "[nn][gradcheck]") {
  const bool with_bias = GENERATE(true, false);
  nn::Bilinear bilinear(3, 2, 4, {.bias = with_bias});
  bilinear->to(kFloat64);
  Tensor x1 = ember_test::randn64({2, 3, 3}, 1).requires_grad_(true);
  Tensor x2 = ember_test::randn64({2, 3, 2}, 2).requires_grad_(true);
  Tensor weight = ember_test::randn64({4, 3, 2}, 3).requires_grad_(true);
  Tensor bias = with_bias ? ember_test::randn64({4}, 4).requires_grad_(true) : Tensor();

  // The members are what forward reads: point them at gradcheck's leaves.
  auto function = [&](const TensorList& in) {
    bilinear->weight = in[2];
    if (with_bias) bilinear->bias = in[3];
    return bilinear(in[0], in[1]);
  };
  TensorList inputs{x1, x2, weight};
  if (with_bias) inputs.push_back(bias);

  CHECK_GRADCHECK(function, inputs);
}

TEST_CASE("linear, conv and embedding modules pass gradcheck", "[nn][gradcheck]") {
  SECTION("linear") {
    nn::Linear linear(4, 3);
    auto function = [&](const TensorList& in) {
      linear->weight = in[1];
      linear->bias = in[2];
      return linear(in[0]);
    };
    CHECK_GRADCHECK(function, TensorList{ember_test::randn64({2, 4}, 1).requires_grad_(true),
                                         ember_test::randn64({3, 4}, 2).requires_grad_(true),
                                         ember_test::randn64({3}, 3).requires_grad_(true)});
  }
  SECTION("conv2d with groups") {
    nn::Conv2d conv(4, 2, 3, {.stride = 2, .padding = 1, .groups = 2});
    auto function = [&](const TensorList& in) {
      conv->weight = in[1];
      conv->bias = in[2];
      return conv(in[0]);
    };
    CHECK_GRADCHECK(function,
                    TensorList{ember_test::randn64({1, 4, 5, 4}, 1).requires_grad_(true),
                               ember_test::randn64({2, 2, 3, 3}, 2).requires_grad_(true),
                               ember_test::randn64({2}, 3).requires_grad_(true)});
  }
  SECTION("conv_transpose1d") {
    nn::ConvTranspose1d conv(2, 3, 3, {.stride = 2, .output_padding = 1});
    auto function = [&](const TensorList& in) {
      conv->weight = in[1];
      conv->bias = in[2];
      return conv(in[0]);
    };
    CHECK_GRADCHECK(function, TensorList{ember_test::randn64({2, 2, 4}, 1).requires_grad_(true),
                                         ember_test::randn64({2, 3, 3}, 2).requires_grad_(true),
                                         ember_test::randn64({3}, 3).requires_grad_(true)});
  }
  // Without padding_idx: the padding row's value reaches the output but
  // deliberately gets no gradient, which finite differences would flag.
  SECTION("embedding with repeated indices") {
    nn::Embedding embedding(5, 2);
    Tensor indices = tensor(std::vector<int64_t>{0, 3, 3, 4, 0, 1}, {2, 3});
    auto function = [&](const TensorList& in) {
      embedding->weight = in[0];
      return embedding(indices);
    };
    CHECK_GRADCHECK(function, TensorList{ember_test::randn64({5, 2}, 1).requires_grad_(true)});
  }
}

// ---- errors ----

TEST_CASE("layers reject bad sizes and options at construction", "[nn]") {
  CHECK_THROWS_MATCHES(nn::Linear(-1, 3), Error, ErrorMentions({"Linear", "in_features", "-1"}));
  CHECK_THROWS_MATCHES(nn::Conv2d(3, 4, 3, {.groups = 2}), Error,
                       ErrorMentions({"Conv2d", "groups=2", "in_channels=3"}));
  CHECK_THROWS_MATCHES(nn::Conv2d(3, 4, {3, 3, 3}), Error,
                       ErrorMentions({"Conv2d", "kernel_size [3, 3, 3]", "3 values"}));
  CHECK_THROWS_MATCHES(nn::Conv1d(3, 4, 0), Error,
                       ErrorMentions({"Conv1d", "kernel_size [0]", "at least 1"}));
  CHECK_THROWS_MATCHES(nn::Conv2d(3, 4, 3, {.stride = 2, .padding = "same"}), Error,
                       ErrorMentions({"Conv2d", "same", "stride [2, 2]"}));
  CHECK_THROWS_MATCHES(nn::Conv3d(3, 4, 3, {.padding = -1}), Error,
                       ErrorMentions({"Conv3d", "padding [-1, -1, -1]"}));
  CHECK_THROWS_MATCHES(nn::ConvTranspose2d(3, 4, 3, {.stride = 2, .output_padding = 2}), Error,
                       ErrorMentions({"ConvTranspose2d", "output_padding [2, 2]", "stride"}));
  CHECK_THROWS_MATCHES(nn::Embedding(4, 2, {.padding_idx = 4}), Error,
                       ErrorMentions({"Embedding", "padding_idx=4", "num_embeddings=4"}));
  CHECK_THROWS_MATCHES(nn::Unflatten(1, {-1, -1}), Error, ErrorMentions({"Unflatten", "-1"}));
}

TEST_CASE("layers name themselves and the shapes when an input does not fit", "[nn]") {
  CHECK_THROWS_MATCHES(nn::Linear(784, 10)(randn({2, 100})), Error,
                       ErrorMentions({"Linear", "[2, 100]", "in_features=784"}));
  CHECK_THROWS_MATCHES(nn::Linear(3, 2)(randn({2, 3}, kFloat64)), Error,
                       ErrorMentions({"Linear", "float64", "float32"}));
  CHECK_THROWS_MATCHES(nn::Bilinear(2, 3, 4)(randn({5, 2}), randn({4, 3})), Error,
                       ErrorMentions({"Bilinear", "[5, 2]", "[4, 3]"}));
  CHECK_THROWS_MATCHES(nn::Conv2d(1, 4, 3)(randn({2, 3, 8, 8})), Error,
                       ErrorMentions({"Conv2d", "[2, 3, 8, 8]", "in_channels=1"}));
  CHECK_THROWS_MATCHES(nn::Conv2d(1, 4, 3)(randn({8, 8})), Error,
                       ErrorMentions({"Conv2d", "4-D", "[8, 8]"}));
  CHECK_THROWS_MATCHES(nn::Conv2d(1, 4, 5)(randn({1, 1, 3, 8})), Error,
                       ErrorMentions({"Conv2d", "[1, 1, 3, 8]", "smaller than the kernel"}));
  CHECK_THROWS_MATCHES(nn::Conv1d(2, 2, 3)(randn({1, 2, 9}, kFloat64)), Error,
                       ErrorMentions({"Conv1d", "float64"}));
  CHECK_THROWS_MATCHES(nn::ConvTranspose2d(2, 3, 3, {.stride = 3, .padding = 1})(
                           randn({1, 2, 3, 4}), Shape{12, 11}),
                       Error, ErrorMentions({"ConvTranspose2d", "[12, 11]", "[7, 10]", "[9, 12]"}));
  CHECK_THROWS_MATCHES(nn::Embedding(10, 3)(tensor(std::vector<int64_t>{1, 10, 2}, {3})), Error,
                       ErrorMentions({"Embedding", "index 10", "num_embeddings=10"}));
  CHECK_THROWS_MATCHES(nn::Embedding(10, 3)(tensor(std::vector<int64_t>{-1}, {1})), Error,
                       ErrorMentions({"Embedding", "index -1"}));
  CHECK_THROWS_MATCHES(nn::Embedding(10, 3)(zeros({2})), Error,
                       ErrorMentions({"Embedding", "int64", "float32"}));
  CHECK_THROWS_MATCHES(nn::Flatten(2)(randn({4, 5})), Error,
                       ErrorMentions({"Flatten", "start_dim=2", "[4, 5]"}));
  CHECK_THROWS_MATCHES(nn::Unflatten(1, {3, 3})(randn({2, 10})), Error,
                       ErrorMentions({"Unflatten", "[3, 3]", "10", "[2, 10]"}));
  CHECK_THROWS_MATCHES(nn::Bilinear(2, 3, 4)->forward(randn({1, 2})), Error,
                       ErrorMentions({"Bilinear", "no forward(Tensor)"}));
}
