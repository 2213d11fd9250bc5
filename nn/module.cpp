#include "nn/module.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <typeinfo>
#include <unordered_set>

#include "framework/autograd/grad_mode.h"
#include "framework/error.h"

namespace ember::nn {

namespace {

std::string demangled_class_name(const std::type_info& type) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name = status == 0 ? demangled : type.name();
  std::free(demangled);

  // Drop namespaces and template arguments' noise: keep the last component.
  const size_t template_start = name.find('<');
  const size_t scope = name.rfind("::", template_start);
  if (scope != std::string::npos) name = name.substr(scope + 2);
  return name;
}

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

template <typename Item>
auto find_named(std::vector<Item>& items, const std::string& name) {
  return std::find_if(items.begin(), items.end(),
                      [&](const Item& item) { return item.first == name; });
}

std::string join_keys(const std::vector<std::string>& keys) {
  std::string text;
  for (const std::string& key : keys) text += (text.empty() ? "'" : ", '") + key + "'";
  return text;
}

}  // namespace

Tensor Module::forward(const Tensor& input) {
  throw Error(name() + ": this module has no forward(Tensor); call its own forward with the " +
              "arguments it takes (a Sequential can only chain single-input modules)");
}

std::string Module::name() const {
  std::string type_name = demangled_class_name(typeid(*this));
  if (type_name.size() > 4 && type_name.ends_with("Impl")) type_name.resize(type_name.size() - 4);
  return type_name;
}

// ---- registration ----

void Module::check_new_name(const std::string& name, const char* what) const {
  EMBER_CHECK(!name.empty() && name.find('.') == std::string::npos, Module::name(), ": ", what,
              " name '", name, "' must be non-empty and contain no '.'");
  const bool taken = std::any_of(parameters_.begin(), parameters_.end(),
                                 [&](const NamedTensor& p) { return p.first == name; }) ||
                     std::any_of(buffers_.begin(), buffers_.end(),
                                 [&](const NamedTensor& b) { return b.first == name; }) ||
                     std::any_of(children_.begin(), children_.end(),
                                 [&](const NamedModule& c) { return c.first == name; });
  EMBER_CHECK(!taken, Module::name(), ": cannot register ", what, " '", name,
              "': the name is already taken");
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_new_name(name, "parameter");
  EMBER_CHECK(tensor.defined(), Module::name(), ": parameter '", name, "' is undefined");
  EMBER_CHECK(tensor.is_floating_point() || !requires_grad, Module::name(), ": parameter '",
              name, "' has dtype ", dtype_name(tensor.dtype()),
              "; only floating tensors can require grad");
  EMBER_CHECK(tensor.is_leaf(), Module::name(), ": parameter '", name,
              "' is the result of an op; register a leaf (call detach() first)");
  tensor.requires_grad_(requires_grad);
  parameters_.emplace_back(name, tensor);
  return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor, bool persistent) {
  check_new_name(name, "buffer");
  buffers_.emplace_back(name, tensor);
  if (!persistent) non_persistent_buffers_.push_back(name);
  return tensor;
}

void Module::register_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "submodule");
  EMBER_CHECK(module != nullptr, Module::name(), ": submodule '", name, "' is empty");
  EMBER_CHECK(module.get() != this, Module::name(), ": a module cannot be its own child");
  children_.emplace_back(name, std::move(module));
}

void Module::replace_parameter(const std::string& name, Tensor tensor) {
  auto found = find_named(parameters_, name);
  EMBER_CHECK(found != parameters_.end(), Module::name(), ": no parameter named '", name, "'");
  EMBER_CHECK(tensor.defined() && tensor.is_leaf(), Module::name(), ": parameter '", name,
              "' must be replaced by a defined leaf tensor");
  found->second = std::move(tensor);
}

void Module::replace_buffer(const std::string& name, Tensor tensor) {
  auto found = find_named(buffers_, name);
  EMBER_CHECK(found != buffers_.end(), Module::name(), ": no buffer named '", name, "'");
  found->second = std::move(tensor);
}

// ---- traversal ----

std::vector<Module::NamedModule> Module::named_modules(const std::string& prefix) {
  std::vector<NamedModule> result;
  std::unordered_set<const Module*> seen;

  // Depth-first with an explicit stack, children in registration order.
  std::vector<NamedModule> pending{{prefix, shared_from_this()}};
  while (!pending.empty()) {
    NamedModule current = std::move(pending.back());
    pending.pop_back();
    if (!seen.insert(current.second.get()).second) continue;

    const auto& kids = current.second->children_;
    for (auto child = kids.rbegin(); child != kids.rend(); ++child) {
      pending.emplace_back(join_name(current.first, child->first), child->second);
    }
    result.push_back(std::move(current));
  }
  return result;
}

std::vector<std::shared_ptr<Module>> Module::modules() {
  std::vector<std::shared_ptr<Module>> result;
  for (auto& [name, module] : named_modules()) result.push_back(module);
  return result;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> result;
  for (const auto& [name, module] : children_) result.push_back(module);
  return result;
}

namespace {

// Walks `root` depth-first (as named_modules does) and collects one kind of
// tensor, each distinct tensor once, skipping undefined buffers.
template <typename Select>
std::vector<Module::NamedTensor> collect_tensors(const Module& root, bool recurse, Select select) {
  std::vector<Module::NamedTensor> result;
  std::unordered_set<const TensorImpl*> seen_tensors;
  std::unordered_set<const Module*> seen_modules;

  std::vector<std::pair<std::string, const Module*>> pending{{"", &root}};
  while (!pending.empty()) {
    auto [prefix, module] = pending.back();
    pending.pop_back();
    if (!seen_modules.insert(module).second) continue;

    for (const auto& [name, tensor] : select(*module)) {
      if (!tensor.defined() || !seen_tensors.insert(tensor.unsafe_impl()).second) continue;
      result.emplace_back(join_name(prefix, name), tensor);
    }
    if (!recurse) break;
    const auto& kids = module->named_children();
    for (auto child = kids.rbegin(); child != kids.rend(); ++child) {
      pending.emplace_back(join_name(prefix, child->first), child->second.get());
    }
  }
  return result;
}

std::vector<Tensor> tensors_of(const std::vector<Module::NamedTensor>& named) {
  std::vector<Tensor> result;
  result.reserve(named.size());
  for (const auto& [name, tensor] : named) result.push_back(tensor);
  return result;
}

}  // namespace

std::vector<Module::NamedTensor> Module::named_parameters(bool recurse) const {
  return collect_tensors(*this, recurse, [](const Module& m) -> const auto& {
    return m.parameters_;
  });
}

std::vector<Module::NamedTensor> Module::named_buffers(bool recurse) const {
  return collect_tensors(*this, recurse, [](const Module& m) -> const auto& {
    return m.buffers_;
  });
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  return tensors_of(named_parameters(recurse));
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  return tensors_of(named_buffers(recurse));
}

// ---- state ----

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (const Tensor& parameter : parameters()) parameter.zero_grad(set_to_none);
}

void Module::apply(const std::function<void(Module&)>& fn) {
  for (auto& [name, child] : children_) child->apply(fn);
  fn(*this);
}

void Module::to(DType dtype) {
  EMBER_CHECK(is_floating(dtype), name(), ".to: only floating dtypes (float32, float64) are "
              "accepted, got ", dtype_name(dtype), "; integer parameters cannot train");
  NoGradGuard no_grad;
  auto convert = [dtype](const Tensor& tensor) {
    if (!tensor.defined() || !tensor.is_floating_point() || tensor.dtype() == dtype) return;
    Tensor grad = tensor.grad();
    tensor.set_data(tensor.detach().to(dtype));
    if (grad.defined()) tensor.set_grad(grad.to(dtype));
  };
  for (const Tensor& parameter : parameters()) convert(parameter);
  for (const Tensor& buffer : buffers()) convert(buffer);
}

void Module::collect_state(const std::string& prefix, StateDict& state) const {
  for (const auto& [name, parameter] : parameters_) {
    state.insert(join_name(prefix, name), parameter.detach());
  }
  for (const auto& [name, buffer] : buffers_) {
    const bool persistent = std::find(non_persistent_buffers_.begin(),
                                      non_persistent_buffers_.end(),
                                      name) == non_persistent_buffers_.end();
    if (buffer.defined() && persistent) state.insert(join_name(prefix, name), buffer.detach());
  }
  for (const auto& [name, child] : children_) child->collect_state(join_name(prefix, name), state);
}

StateDict Module::state_dict() const {
  StateDict state;
  collect_state("", state);
  return state;
}

LoadResult Module::load_state_dict(const StateDict& state, bool strict) {
  // Every check runs before any value is copied, so a failed load leaves the
  // module as it was.
  StateDict own = state_dict();
  LoadResult result;
  std::vector<std::string> mismatched;
  for (const auto& [key, target] : own) {
    const Tensor* source = state.find(key);
    if (source == nullptr) {
      result.missing_keys.push_back(key);
    } else if (!source->defined()) {
      mismatched.push_back("'" + key + "': the checkpoint's tensor is undefined");
    } else if (source->shape() != target.shape()) {
      mismatched.push_back("'" + key + "': checkpoint " + format_shape(source->shape()) +
                           " vs module " + format_shape(target.shape()));
    } else if (source->is_floating_point() != target.is_floating_point()) {
      // float32 and float64 convert into each other, as in PyTorch; integer
      // state (num_batches_tracked) and floating state do not.
      mismatched.push_back("'" + key + "': checkpoint dtype " + dtype_name(source->dtype()) +
                           " vs module " + dtype_name(target.dtype()));
    }
  }
  for (const auto& [key, value] : state) {
    if (!own.contains(key)) result.unexpected_keys.push_back(key);
  }

  std::string problems;
  if (!mismatched.empty()) {
    problems += "\n  mismatched: ";
    for (size_t i = 0; i < mismatched.size(); ++i) problems += (i ? ", " : "") + mismatched[i];
  }
  if (strict && !result.missing_keys.empty()) {
    problems += "\n  missing keys: " + join_keys(result.missing_keys);
  }
  if (strict && !result.unexpected_keys.empty()) {
    problems += "\n  unexpected keys: " + join_keys(result.unexpected_keys);
  }
  EMBER_CHECK(problems.empty(), Module::name(),
              ".load_state_dict: the state does not fit this module:",
              problems);

  NoGradGuard no_grad;
  for (const auto& [key, target] : own) {
    if (const Tensor* source = state.find(key)) Tensor(target).copy_(*source);
  }
  return result;
}

// ---- printing ----

void Module::print_tree(std::ostream& out, int indent) const {
  const std::string extra = extra_repr();
  out << name() << "(";
  if (children_.empty()) {
    out << extra << ")";
    return;
  }

  // With children, PyTorch puts the options on a line of their own.
  out << "\n";
  const std::string pad(indent + 2, ' ');
  if (!extra.empty()) out << pad << extra << "\n";
  for (const auto& [child_name, child] : children_) {
    out << pad << "(" << child_name << "): ";
    child->print_tree(out, indent + 2);
    out << "\n";
  }
  out << std::string(indent, ' ') << ")";
}

std::string Module::to_string() const {
  std::ostringstream out;
  print_tree(out, 0);
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Module& module) {
  return out << module.to_string();
}

}  // namespace ember::nn
