#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "framework/state_dict.h"
#include "framework/tensor.h"

namespace ember::nn {

// What load_state_dict found besides the keys it loaded; with strict=false
// these are reported instead of thrown.
struct LoadResult {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

// The base of every layer and model. A module owns named parameters (leaf
// tensors that train), buffers (state that does not train, like batch norm's
// running statistics) and child modules, and walks them recursively in the
// order they were registered, so names and order match PyTorch's for the same
// architecture ("features.0.weight").
//
// Modules are held by std::shared_ptr (see ModuleHolder for the handles
// nn::Linear, nn::Sequential, ...) and are not copyable: a copy would alias
// the same parameters.
class Module : public std::enable_shared_from_this<Module> {
 public:
  using NamedTensor = std::pair<std::string, Tensor>;
  using NamedModule = std::pair<std::string, std::shared_ptr<Module>>;

  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  // The single-input forward that Sequential chains. Layers override it; a
  // module whose forward takes other arguments (Bilinear) throws here.
  virtual Tensor forward(const Tensor& input);

  // The type name printed in the module tree: the class name without its
  // namespace and without a trailing "Impl" ("Linear" for nn::LinearImpl).
  virtual std::string name() const;
  // The options shown inside the parentheses: "in_features=4, out_features=2, bias=True".
  virtual std::string extra_repr() const { return ""; }

  // ---- registration (called from constructors) ----

  // Registers a parameter and returns it. The tensor becomes a leaf that
  // requires grad (unless requires_grad is false). Throws on a duplicate or
  // malformed name.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  // Registers a buffer; an undefined tensor is allowed (an absent optional
  // buffer) and is skipped by buffers() and state_dict(). Non-persistent
  // buffers are left out of state_dict(), as in PyTorch.
  Tensor register_buffer(const std::string& name, Tensor tensor, bool persistent = true);
  // Registers a child module held by a ModuleHolder or a shared_ptr; returns it.
  template <typename Holder>
  Holder register_module(const std::string& name, Holder module) {
    register_child(name, as_module_ptr(module));
    return module;
  }
  // Replaces a registered parameter or buffer by name (e.g. to share weights).
  void replace_parameter(const std::string& name, Tensor tensor);
  void replace_buffer(const std::string& name, Tensor tensor);

  // ---- traversal, in registration order ----

  std::vector<Tensor> parameters(bool recurse = true) const;
  // Each parameter once, even when a submodule shares it.
  std::vector<NamedTensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<NamedTensor> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  const std::vector<NamedModule>& named_children() const { return children_; }
  // This module first, then every descendant depth-first ("" names this one).
  std::vector<std::shared_ptr<Module>> modules();
  std::vector<NamedModule> named_modules(const std::string& prefix = "");

  // ---- state ----

  // Switches this module and every descendant to training or evaluation mode.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad(bool set_to_none = true);
  // Calls fn on every descendant, then on this module (PyTorch's order).
  void apply(const std::function<void(Module&)>& fn);
  // Converts every floating parameter and buffer (and gradient) to `dtype` in
  // place: tensors keep their identity, so optimizers built before still see
  // them (and convert their state at the next step). Throws ember::Error for a
  // dtype that is not floating.
  void to(DType dtype);

  // Parameters and persistent buffers under dotted names, sharing storage
  // with the module (detached: no autograd history).
  StateDict state_dict() const;
  // Copies values from `state` into the parameters and buffers, converting
  // float32 and float64 into each other as PyTorch does. Throws ember::Error
  // listing every missing, unexpected and mis-shaped key; with strict=false,
  // missing and unexpected keys are returned instead, but a shape mismatch or
  // integer state for floating (or the reverse) still throws.
  LoadResult load_state_dict(const StateDict& state, bool strict = true);

  // The module tree as PyTorch prints it.
  std::string to_string() const;

 private:
  template <typename Holder>
  static std::shared_ptr<Module> as_module_ptr(const Holder& module) {
    if constexpr (requires { module.ptr(); }) {
      return module.ptr();
    } else {
      return module;
    }
  }

  void register_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name, const char* what) const;
  void collect_state(const std::string& prefix, StateDict& state) const;
  void print_tree(std::ostream& out, int indent) const;

  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> buffers_;
  std::vector<std::string> non_persistent_buffers_;
  std::vector<NamedModule> children_;
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& out, const Module& module);

}  // namespace ember::nn
