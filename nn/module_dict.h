#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "framework/error.h"
#include "nn/module.h"
#include "nn/module_holder.h"

namespace ember::nn {

// Registered modules by name, in insertion order; like ModuleList it has no
// forward of its own.
class ModuleDictImpl : public Module {
 public:
  ModuleDictImpl() = default;
  ModuleDictImpl(std::initializer_list<NamedModule> named_modules) {
    for (const auto& [name, module] : named_modules) insert(name, module);
  }

  // Adds a module under a new name; throws when the name is taken.
  template <typename Holder>
  void insert(const std::string& name, Holder module) {
    register_module(name, std::shared_ptr<Module>(module));
  }

  size_t size() const { return named_children().size(); }
  bool empty() const { return size() == 0; }
  bool contains(const std::string& name) const;
  // Throws ember::Error naming the key when absent.
  std::shared_ptr<Module> operator[](const std::string& name) const;
  template <typename Impl>
  Impl& at(const std::string& name) const {
    auto* module = dynamic_cast<Impl*>((*this)[name].get());
    EMBER_CHECK(module != nullptr, "ModuleDict: module '", name, "' is a ",
                (*this)[name]->name(), ", not the type asked for");
    return *module;
  }
  std::vector<std::string> keys() const;
  // (name, module) pairs in insertion order.
  const std::vector<NamedModule>& items() const { return named_children(); }
};

class ModuleDict : public ModuleHolder<ModuleDictImpl> {
 public:
  using ModuleHolder<ModuleDictImpl>::ModuleHolder;
  ModuleDict(std::initializer_list<Module::NamedModule> named_modules)
      : ModuleHolder(std::make_shared<ModuleDictImpl>(named_modules)) {}
};

}  // namespace ember::nn
