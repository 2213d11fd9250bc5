#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "framework/error.h"
#include "nn/module.h"
#include "nn/module_holder.h"

namespace ember::nn {

// Registered modules in a list, named "0", "1", ...; it has no forward of its
// own: the owner decides how to call them (a loop over residual blocks).
class ModuleListImpl : public Module {
 public:
  ModuleListImpl() = default;
  template <typename... Modules>
  explicit ModuleListImpl(Modules&&... modules) {
    (push_back(std::forward<Modules>(modules)), ...);
  }

  template <typename Holder>
  void push_back(Holder module) {
    std::shared_ptr<Module> pointer = module;
    register_module(std::to_string(size()), pointer);
    modules_.push_back(std::move(pointer));
  }

  size_t size() const { return modules_.size(); }
  bool empty() const { return size() == 0; }
  std::shared_ptr<Module> operator[](size_t index) const;
  template <typename Impl>
  Impl& at(size_t index) const {
    auto* module = dynamic_cast<Impl*>((*this)[index].get());
    EMBER_CHECK(module != nullptr, "ModuleList: module ", index, " is a ",
                (*this)[index]->name(), ", not the type asked for");
    return *module;
  }

  // Iterates over the modules in order.
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

EMBER_MODULE(ModuleList);

}  // namespace ember::nn
