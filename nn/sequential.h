#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include "framework/error.h"
#include "nn/module.h"
#include "nn/module_holder.h"

namespace ember::nn {

// Modules applied one after another: forward(x) = last(...(first(x))). Children
// are named "0", "1", ... unless given names, so state_dict keys read
// "0.weight" as in PyTorch.
//
//   nn::Sequential model(nn::Linear(784, 128), nn::ReLU(), nn::Linear(128, 10));
//   nn::Sequential named({{"conv", nn::Conv2d(1, 8, 3)}, {"relu", nn::ReLU()}});
class SequentialImpl : public Module {
 public:
  SequentialImpl() = default;
  template <typename... Modules>
  explicit SequentialImpl(Modules&&... modules) {
    (push_back(std::forward<Modules>(modules)), ...);
  }
  SequentialImpl(std::initializer_list<NamedModule> named_modules) {
    for (const auto& [name, module] : named_modules) push_back(name, module);
  }

  // Appends a module (a holder like nn::Linear, or a shared_ptr to a module).
  template <typename Holder>
  void push_back(Holder module) {
    push_back(std::to_string(size()), std::move(module));
  }
  template <typename Holder>
  void push_back(const std::string& name, Holder module) {
    register_module(name, std::move(module));
  }

  size_t size() const { return named_children().size(); }
  bool empty() const { return size() == 0; }
  std::shared_ptr<Module> operator[](size_t index) const;
  // The module at `index` as its own type; throws when it is another type.
  template <typename Impl>
  Impl& at(size_t index) const {
    auto* module = dynamic_cast<Impl*>((*this)[index].get());
    EMBER_CHECK(module != nullptr, "Sequential: module ", index, " is a ",
                (*this)[index]->name(), ", not the type asked for");
    return *module;
  }

  // x through every module in order; the input when empty.
  Tensor forward(const Tensor& input) override;
};

class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  // Named children, in order (a braced list cannot reach the forwarding constructor).
  Sequential(std::initializer_list<Module::NamedModule> named_modules)
      : ModuleHolder(std::make_shared<SequentialImpl>(named_modules)) {}
};

}  // namespace ember::nn
