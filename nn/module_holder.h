#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <type_traits>
#include <utility>

#include "framework/error.h"

namespace ember::nn {

// A cheap, copyable handle to a module held by shared_ptr: nn::Linear holds an
// nn::LinearImpl. Copies share the module. `layer->weight` reaches the module's
// members and `layer(x)` calls its forward. Construct one with the module's
// own arguments (`nn::Linear(784, 128)`), or empty with nullptr to assign later.
template <typename Impl>
class ModuleHolder {
 public:
  using ImplType = Impl;

  // The module built from its default arguments, where it has them.
  ModuleHolder()
    requires std::is_default_constructible_v<Impl>
      : impl_(std::make_shared<Impl>()) {}
  ModuleHolder(std::nullptr_t) {}  // NOLINT: implicit, for `nn::Linear fc{nullptr};`
  ModuleHolder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}  // NOLINT: implicit

  // Forwards the arguments to the module's constructor.
  // (A lone nullptr, holder or shared_ptr picks the constructors above.)
  template <typename First, typename... Rest>
    requires(!(sizeof...(Rest) == 0 &&
               (std::is_same_v<std::decay_t<First>, std::nullptr_t> ||
                std::is_base_of_v<ModuleHolder, std::decay_t<First>> ||
                std::is_same_v<std::decay_t<First>, std::shared_ptr<Impl>>)) &&
             std::is_constructible_v<Impl, First, Rest...>)
  explicit ModuleHolder(First&& first, Rest&&... rest)
      : impl_(std::make_shared<Impl>(std::forward<First>(first), std::forward<Rest>(rest)...)) {}

  Impl* operator->() const { return &get(); }
  Impl& operator*() const { return get(); }
  Impl& get() const {
    EMBER_CHECK(impl_ != nullptr, "ModuleHolder: the module is empty (constructed from nullptr",
                " and never assigned)");
    return *impl_;
  }
  const std::shared_ptr<Impl>& ptr() const { return impl_; }
  // Converts to a pointer to any base, e.g. std::shared_ptr<nn::Module>.
  template <typename Base>
    requires std::is_convertible_v<Impl*, Base*>
  operator std::shared_ptr<Base>() const {  // NOLINT: implicit on purpose
    return impl_;
  }
  bool is_empty() const { return impl_ == nullptr; }
  explicit operator bool() const { return impl_ != nullptr; }

  // Calls the module's forward with any arguments it takes.
  template <typename... Args>
  decltype(auto) operator()(Args&&... args) const {
    return get().forward(std::forward<Args>(args)...);
  }

 private:
  std::shared_ptr<Impl> impl_;
};

template <typename Impl>
std::ostream& operator<<(std::ostream& out, const ModuleHolder<Impl>& module) {
  return out << *module;
}

}  // namespace ember::nn

// Declares the handle `Name` for the module class `Name##Impl`:
//   class LinearImpl : public Module { ... };
//   EMBER_MODULE(Linear);
#define EMBER_MODULE(Name)                          \
  class Name : public ::ember::nn::ModuleHolder<Name##Impl> { \
   public:                                          \
    using ::ember::nn::ModuleHolder<Name##Impl>::ModuleHolder; \
  }
