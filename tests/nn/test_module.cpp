#include <catch2/catch.hpp>

#include "ember.h"
#include "helpers.h"
#include "nn/module.h"
#include "nn/module_dict.h"
#include "nn/module_holder.h"
#include "nn/module_list.h"
#include "nn/sequential.h"
#include "optim/adam.h"

using namespace ember;

namespace {

// A small affine layer, written the way a user writes a module.
class AffineImpl : public nn::Module {
 public:
  AffineImpl(int64_t in, int64_t out) : in_(in), out_(out) {
    weight = register_parameter("weight", randn({out, in}));
    bias = register_parameter("bias", zeros({out}));
    register_buffer("calls", zeros({1}));
  }
  Tensor forward(const Tensor& x) override { return linear(x, weight, bias); }
  std::string extra_repr() const override {
    return "in=" + std::to_string(in_) + ", out=" + std::to_string(out_);
  }

  Tensor weight, bias;

 private:
  int64_t in_, out_;
};
EMBER_MODULE(Affine);

class NetImpl : public nn::Module {
 public:
  NetImpl() {
    features = register_module("features", nn::Sequential(Affine(4, 3), Affine(3, 3)));
    head = register_module("head", Affine(3, 2));
  }
  Tensor forward(const Tensor& x) override { return head(features(x)); }

  nn::Sequential features;
  Affine head{nullptr};
};
EMBER_MODULE(Net);

std::vector<std::string> names_of(const std::vector<nn::Module::NamedTensor>& named) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : named) names.push_back(name);
  return names;
}

}  // namespace

TEST_CASE("Module: names and order follow PyTorch", "[nn]") {
  Net net;
  using Names = std::vector<std::string>;
  CHECK(names_of(net->named_parameters()) ==
        Names{"features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
              "head.weight", "head.bias"});
  CHECK(net->state_dict().keys() ==
        Names{"features.0.weight", "features.0.bias", "features.0.calls", "features.1.weight",
              "features.1.bias", "features.1.calls", "head.weight", "head.bias", "head.calls"});
  CHECK(net->parameters().size() == 6);
  CHECK(net->buffers().size() == 3);
  CHECK(net->children().size() == 2);

  Names module_names;
  for (const auto& [name, module] : net->named_modules()) module_names.push_back(name);
  CHECK(module_names == Names{"", "features", "features.0", "features.1", "head"});
  CHECK(net->named_parameters(false).empty());
}

TEST_CASE("Module: forward, call syntax and printing", "[nn]") {
  Net net;
  Tensor x = randn({5, 4});
  Tensor y = net(x);
  CHECK(y.shape() == Shape{5, 2});
  CHECK(net->forward(x).to_vector<float>() == y.to_vector<float>());

  CHECK(net->to_string() ==
        "Net(\n"
        "  (features): Sequential(\n"
        "    (0): Affine(in=4, out=3)\n"
        "    (1): Affine(in=3, out=3)\n"
        "  )\n"
        "  (head): Affine(in=3, out=2)\n"
        ")");
}

TEST_CASE("Module: train/eval, zero_grad, apply", "[nn]") {
  Net net;
  net->eval();
  for (const auto& module : net->modules()) CHECK_FALSE(module->is_training());
  net->train();
  for (const auto& module : net->modules()) CHECK(module->is_training());

  net(randn({2, 4})).sum().backward();
  for (const Tensor& p : net->parameters()) CHECK(p.grad().defined());
  net->zero_grad(false);
  for (const Tensor& p : net->parameters()) CHECK(p.grad().abs().sum().item() == 0.0);
  net->zero_grad();
  for (const Tensor& p : net->parameters()) CHECK_FALSE(p.grad().defined());

  std::vector<std::string> visited;
  net->apply([&](nn::Module& m) { visited.push_back(m.name()); });
  CHECK(visited == std::vector<std::string>{"Affine", "Affine", "Sequential", "Affine", "Net"});
}

TEST_CASE("Module: to(dtype) keeps tensor identity", "[nn]") {
  Net net;
  Tensor weight = net->head->weight;
  net(randn({2, 4})).sum().backward();
  net->to(kFloat64);
  CHECK(weight.dtype() == kFloat64);
  CHECK(net->head->weight.dtype() == kFloat64);
  CHECK(weight.grad().dtype() == kFloat64);
  CHECK(weight.requires_grad());
  CHECK(net(randn({2, 4}, kFloat64)).dtype() == kFloat64);
}

TEST_CASE("Module: state_dict round trip and load errors", "[nn]") {
  Net source, target;
  target->load_state_dict(source->state_dict());
  for (const auto& [key, value] : source->state_dict()) {
    CHECK(target->state_dict().at(key).to_vector<float>() == value.to_vector<float>());
  }

  // The state dict shares storage with the module but carries no history.
  StateDict state = source->state_dict();
  CHECK_FALSE(state.at("head.weight").requires_grad());

  StateDict wrong;
  for (const auto& [key, value] : source->state_dict()) {
    if (key == "head.bias") continue;
    wrong.insert(key == "head.weight" ? key : key, key == "head.weight" ? zeros({3, 3}) : value);
  }
  wrong.insert("extra.weight", zeros({1}));
  Tensor before = target->head->weight.clone();
  CHECK_THROWS_WITH(target->load_state_dict(wrong),
                    Catch::Contains("'head.weight': checkpoint [3, 3] vs module [2, 3]") &&
                        Catch::Contains("missing keys: 'head.bias'") &&
                        Catch::Contains("unexpected keys: 'extra.weight'"));
  CHECK(target->head->weight.to_vector<float>() == before.to_vector<float>());

  StateDict partial = source->state_dict().extract("features");
  CHECK_THROWS_WITH(target->load_state_dict(partial), Catch::Contains("missing keys"));
  nn::Sequential features = target->features;
  nn::LoadResult result = features->load_state_dict(partial, false);
  CHECK(result.missing_keys.empty());
  CHECK(result.unexpected_keys.empty());
}

TEST_CASE("Module: registration errors", "[nn]") {
  Net net;
  CHECK_THROWS_WITH(net->register_parameter("head", zeros({1})), Catch::Contains("already taken"));
  CHECK_THROWS_WITH(net->register_parameter("a.b", zeros({1})), Catch::Contains("no '.'"));
  CHECK_THROWS_WITH(net->register_parameter("w", zeros({1}, kInt64)),
                    Catch::Contains("only floating tensors"));
  Tensor leaf = randn({2}, TensorOptions(kFloat32, true));
  CHECK_THROWS_WITH(net->register_parameter("w", leaf * 2), Catch::Contains("leaf"));
  nn::ModuleList list;
  CHECK_THROWS_WITH(list->forward(randn({1})),
                    Catch::Contains("ModuleList: this module has no forward"));
  Affine empty{nullptr};
  CHECK_THROWS_WITH(empty->weight, Catch::Contains("empty"));
}

TEST_CASE("Containers: Sequential, ModuleList, ModuleDict", "[nn]") {
  nn::Sequential named({{"first", Affine(2, 3)}, {"second", Affine(3, 1)}});
  CHECK(named->state_dict().keys().front() == "first.weight");
  CHECK(named(randn({4, 2})).shape() == Shape{4, 1});
  CHECK(named->at<AffineImpl>(1).weight.shape() == Shape{1, 3});
  CHECK_THROWS_WITH((*named)[5], Catch::Contains("out of range"));

  nn::ModuleList list(Affine(2, 2), Affine(2, 2));
  list->push_back(Affine(2, 2));
  Tensor x = randn({1, 2});
  for (const auto& module : *list) x = module->forward(x);
  CHECK(list->size() == 3);
  CHECK(list->state_dict().keys().back() == "2.calls");

  nn::ModuleDict dict({{"a", Affine(1, 1)}});
  dict->insert("b", Affine(1, 2));
  CHECK(dict->keys() == std::vector<std::string>{"a", "b"});
  CHECK(dict->at<AffineImpl>("b").weight.shape() == Shape{2, 1});
  CHECK_THROWS_WITH((*dict)["c"], Catch::Contains("no module named 'c'") && Catch::Contains("'a'"));
  CHECK_THROWS_WITH(dict->insert("a", Affine(1, 1)), Catch::Contains("already taken"));
}

TEST_CASE("Module: to() refuses integer dtypes and optimizers follow a dtype change", "[nn]") {
  Net net;
  CHECK_THROWS_WITH(net->to(kInt64), Catch::Contains("only floating dtypes"));
  CHECK(net->head->weight.dtype() == kFloat32);

  optim::Adam optimizer(net->parameters(), {.lr = 1e-2});
  net(randn({2, 4})).sum().backward();
  optimizer.step();
  net->to(kFloat64);
  optimizer.zero_grad();
  net(randn({2, 4}, kFloat64)).sum().backward();
  optimizer.step();
  CHECK(optimizer.state_dict().at("state.0.exp_avg").dtype() == kFloat64);
}

TEST_CASE("Module: load_state_dict names an undefined tensor", "[nn]") {
  Net net;
  StateDict state = net->state_dict();
  state.set("head.bias", Tensor());
  CHECK_THROWS_WITH(net->load_state_dict(state), Catch::Contains("'head.bias'") &&
                                                     Catch::Contains("undefined"));
}
