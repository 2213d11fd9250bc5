#pragma once

// Member definitions of OptimizerWithOptions, included by each algorithm's
// .cpp file, which instantiates the class once:
//   template class OptimizerWithOptions<AdamOptions, AdamState>;
// nlohmann-json stays inside the library this way.

#include <charconv>
#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "framework/autograd/grad_mode.h"
#include "framework/error.h"
#include "framework/profiler.h"
#include "ops/detail/strided_loop.h"
#include "optim/optimizer_with_options.h"

namespace ember::optim {

namespace detail {

using Json = nlohmann::ordered_json;

inline std::string describe(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

// A one-element tensor holding `value`, for the scalar entries of a state.
template <class T>
Tensor scalar_state(T value) {
  Tensor result = empty({}, std::is_same_v<T, int64_t> ? kInt64 : kFloat64);
  *static_cast<T*>(result.raw_data()) = value;
  return result;
}

// A saved scalar entry back as a number; throws unless it holds one element.
inline double read_scalar(const char* optimizer, const std::string& key, const Tensor& value) {
  EMBER_CHECK(value.numel() == 1, optimizer, ": load_state_dict: '", key,
              "' must hold one element, got shape ", value.shape());
  EMBER_CHECK(value.dtype() != kBool, optimizer, ": load_state_dict: '", key,
              "' must be a number, got bool");
  return value.item<double>();
}

// The options of one group, as JSON, in field order.
template <class Options>
Json options_to_json(const Options& options) {
  Json json = Json::object();
  Options::for_each_field(options, [&](const char* name, const auto& value) {
    using V = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<V, std::pair<double, double>>) {
      json[name] = Json::array({value.first, value.second});
    } else {
      json[name] = value;
    }
  });
  return json;
}

// Reads every option of `json` into `options`; throws naming the group and
// the option when one is missing or of the wrong type.
template <class Options>
void options_from_json(const char* optimizer, size_t group, const Json& json, Options& options) {
  Options::for_each_field(options, [&](const char* name, auto& value) {
    using V = std::decay_t<decltype(value)>;
    auto found = json.find(name);
    EMBER_CHECK(found != json.end(), optimizer, ": load_state_dict: param group ", group,
                " has no option '", name, "'");
    bool ok = false;
    if constexpr (std::is_same_v<V, bool>) {
      ok = found->is_boolean();
      if (ok) value = found->template get<bool>();
    } else if constexpr (std::is_same_v<V, double>) {
      ok = found->is_number();
      if (ok) value = found->template get<double>();
    } else {
      ok = found->is_array() && found->size() == 2 && (*found)[0].is_number() &&
           (*found)[1].is_number();
      if (ok) value = {(*found)[0].template get<double>(), (*found)[1].template get<double>()};
    }
    EMBER_CHECK(ok, optimizer, ": load_state_dict: option '", name, "' of param group ", group,
                " has the wrong type: ", found->dump());
  });
}

// "Parameter Group 0\n    lr: 0.001\n..." lines of to_string().
template <class Options>
void print_options(std::ostream& out, const Options& options) {
  out.precision(17);
  Options::for_each_field(options, [&](const char* name, const auto& value) {
    using V = std::decay_t<decltype(value)>;
    out << "    " << name << ": ";
    if constexpr (std::is_same_v<V, bool>) {
      out << (value ? "true" : "false");
    } else if constexpr (std::is_same_v<V, double>) {
      out << value;
    } else {
      out << "(" << value.first << ", " << value.second << ")";
    }
    out << "\n";
  });
}

}  // namespace detail

template <class Options, class State>
OptimizerWithOptions<Options, State>::OptimizerWithOptions(const char* name,
                                                           std::vector<Group> groups,
                                                           const Options& defaults)
    : name_(name), defaults_(defaults) {
  size_t total = 0;
  for (const Group& group : groups) total += group.params.size();
  EMBER_CHECK(total > 0, name_, ": got an empty parameter list; pass the tensors to optimize, "
              "e.g. model->parameters()");
  for (Group& group : groups) add_param_group(std::move(group.params), group.options);
}

template <class Options, class State>
const ParamGroup<Options>& OptimizerWithOptions<Options, State>::at(size_t group) const {
  EMBER_CHECK(group < groups_.size(), name_, ": param group ", group, " is out of range (",
              groups_.size(), " groups)");
  return groups_[group];
}

template <class Options, class State>
void OptimizerWithOptions<Options, State>::set_options(size_t group, const Options& options) {
  at(group);
  EMBER_CHECK(std::isfinite(options.lr), name_, ": invalid learning rate ", options.lr,
              " for group ", group, "; expected a finite lr >= 0");
  options.validate();
  groups_[group].options = options;
}

template <class Options, class State>
void OptimizerWithOptions<Options, State>::set_lr(size_t group, double lr) {
  Options options = at(group).options;
  options.lr = lr;
  set_options(group, options);
}

template <class Options, class State>
std::optional<double> OptimizerWithOptions<Options, State>::momentum(size_t group) const {
  const Options& options = at(group).options;
  if constexpr (requires { options.momentum; }) {
    return options.momentum;
  } else if constexpr (requires { options.betas; }) {
    return options.betas.first;
  } else {
    return std::nullopt;
  }
}

template <class Options, class State>
void OptimizerWithOptions<Options, State>::set_momentum(size_t group, double value) {
  Options options = at(group).options;
  if constexpr (requires { options.momentum; }) {
    options.momentum = value;
  } else if constexpr (requires { options.betas; }) {
    options.betas.first = value;
  } else {
    return;
  }
  set_options(group, options);
}

template <class Options, class State>
const State& OptimizerWithOptions<Options, State>::state(size_t index) const {
  EMBER_CHECK(index < states_.size(), name_, ": parameter ", index, " is out of range (",
              states_.size(), " parameters)");
  return states_[index];
}

template <class Options, class State>
void OptimizerWithOptions<Options, State>::add_param_group(std::vector<Tensor> params,
                                                           const Options& options) {
  options.validate();
  EMBER_CHECK(std::isfinite(options.lr), name_, ": invalid learning rate ", options.lr,
              "; expected a finite lr >= 0");
  std::unordered_set<const TensorImpl*> seen;
  for (const Group& group : groups_) {
    for (const Tensor& param : group.params) seen.insert(param.unsafe_impl());
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& param = params[i];
    EMBER_CHECK(param.defined(), name_, ": parameter ", i, " of the new group is undefined");
    EMBER_CHECK(param.is_floating_point(), name_, ": can only optimize float32 or float64 "
                "tensors, got ", dtype_name(param.dtype()), " for parameter ", i,
                " of the new group");
    EMBER_CHECK(param.is_leaf(), name_, ": can't optimize a non-leaf tensor (parameter ", i,
                " of the new group has a grad_fn); pass x.detach().requires_grad_()");
    EMBER_CHECK(seen.insert(param.unsafe_impl()).second, name_, ": parameter ", i,
                " of the new group (shape ", param.shape(),
                ") appears more than once across the param groups");
  }
  states_.resize(states_.size() + params.size());
  groups_.push_back(Group{std::move(params), options});
}

template <class Options, class State>
template <class Update>
void OptimizerWithOptions<Options, State>::for_each_param_with_grad(const Update& update) {
  NoGradGuard no_grad;
  profiler::Range range;
  if (profiler::is_enabled()) {
    range.open(std::string(name_) + ".step", profiler::EventKind::Optimizer);
  }
  size_t index = 0;
  for (Group& group : groups_) {
    for (Tensor& param : group.params) {
      State& state = states_[index++];
      Tensor grad = param.grad();
      if (!grad.defined()) continue;
      EMBER_CHECK(grad.shape() == param.shape() && grad.dtype() == param.dtype(), name_,
                  ": gradient of parameter ", index - 1, " is ", dtype_name(grad.dtype()), " ",
                  grad.shape(), " but the parameter is ", dtype_name(param.dtype()), " ",
                  param.shape());
      // A parameter converted in place by module.to(dtype) takes its state
      // along, as PyTorch's in-place updates do; a reshaped one no longer fits.
      State::for_each_field(state, [&](const char* name, auto& value, bool) {
        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, Tensor>) {
          if (!value.defined()) return;
          EMBER_CHECK(value.shape() == param.shape(), name_, ": state '", name,
                      "' of parameter ", index - 1, " is ", value.shape(),
                      " but the parameter is ", param.shape(),
                      "; build a new optimizer after changing parameters");
          if (value.dtype() != param.dtype()) value = value.to(param.dtype());
        }
      });
      update(param, grad, state, group.options);
      param.storage()->bump_version();

      // Every update reads the parameter, its gradient and each state tensor,
      // and writes the parameter and the state back.
      if (range.active()) {
        int state_tensors = 0;
        State::for_each_field(state, [&](const char*, const auto& value, bool) {
          using V = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<V, Tensor>) state_tensors += value.defined() ? 1 : 0;
        });
        range.add_bytes(static_cast<double>(param.numel()) *
                        static_cast<double>(element_size(param.dtype())) *
                        (3 + 2 * state_tensors));
      }
    }
  }
}

template <class Options, class State>
StateDict OptimizerWithOptions<Options, State>::state_dict() const {
  StateDict dict;
  for (size_t i = 0; i < states_.size(); ++i) {
    const State& state = states_[i];
    bool has_state = false;
    State::for_each_field(state, [&](const char*, const auto& value, bool) {
      using V = std::decay_t<decltype(value)>;
      if constexpr (std::is_same_v<V, Tensor>) has_state |= value.defined();
      if constexpr (std::is_same_v<V, int64_t>) has_state |= value != 0;
    });
    if (!has_state) continue;

    const std::string prefix = "state." + std::to_string(i) + ".";
    State::for_each_field(state, [&](const char* name, const auto& value, bool) {
      using V = std::decay_t<decltype(value)>;
      if constexpr (std::is_same_v<V, Tensor>) {
        if (value.defined()) dict.insert(prefix + name, value.detach().clone());
      } else {
        dict.insert(prefix + name, detail::scalar_state(value));
      }
    });
  }

  detail::Json groups = detail::Json::array();
  int64_t index = 0;
  for (const Group& group : groups_) {
    detail::Json json = detail::options_to_json(group.options);
    detail::Json indices = detail::Json::array();
    for (size_t k = 0; k < group.params.size(); ++k) indices.push_back(index++);
    json["params"] = indices;
    groups.push_back(json);
  }
  dict.metadata()["optimizer"] = name_;
  dict.metadata()["param_groups"] = groups.dump();
  return dict;
}

template <class Options, class State>
void OptimizerWithOptions<Options, State>::load_state_dict(const StateDict& dict) {
  // Kind and groups.
  auto kind = dict.metadata().find("optimizer");
  EMBER_CHECK(kind != dict.metadata().end(), name_,
              ": load_state_dict: no 'optimizer' metadata; is this an optimizer's state?");
  EMBER_CHECK(kind->second == name_, name_, ": load_state_dict: the state was saved by ",
              kind->second, ", not ", name_);
  auto groups_text = dict.metadata().find("param_groups");
  EMBER_CHECK(groups_text != dict.metadata().end(), name_,
              ": load_state_dict: no 'param_groups' metadata");
  detail::Json groups_json = detail::Json::parse(groups_text->second, nullptr, false);
  EMBER_CHECK(groups_json.is_array(), name_,
              ": load_state_dict: 'param_groups' is not a JSON array");
  EMBER_CHECK(groups_json.size() == groups_.size(), name_, ": load_state_dict: the state has ",
              groups_json.size(), " param groups, this optimizer has ", groups_.size());

  std::vector<Options> options(groups_.size());
  std::vector<const Tensor*> params;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const detail::Json& json = groups_json[g];
    EMBER_CHECK(json.is_object(), name_, ": load_state_dict: param group ", g,
                " is not a JSON object");
    auto indices = json.find("params");
    EMBER_CHECK(indices != json.end() && indices->is_array(), name_,
                ": load_state_dict: param group ", g, " has no 'params' list");
    EMBER_CHECK(indices->size() == groups_[g].params.size(), name_,
                ": load_state_dict: param group ", g, " holds ", indices->size(),
                " parameters in the state, ", groups_[g].params.size(), " in this optimizer");
    size_t k = 0;
    for (const detail::Json& index : *indices) {
      EMBER_CHECK(index.is_number_integer() &&
                  index.get<int64_t>() == static_cast<int64_t>(params.size()), name_,
                  ": load_state_dict: param group ", g, " lists parameter ", index.dump(),
                  " where ", params.size(), " was expected (parameters are numbered in order)");
      params.push_back(&groups_[g].params[k++]);
    }
    detail::options_from_json(name_, g, json, options[g]);
    options[g].validate();
  }

  // Per-parameter state, checked against each parameter.
  std::vector<State> states(states_.size());
  std::vector<bool> has_state(states_.size(), false);
  for (const auto& [key, value] : dict) {
    EMBER_CHECK(key.starts_with("state."), name_, ": load_state_dict: unexpected key '", key,
                "'");
    const char* first = key.data() + 6;
    const char* last = key.data() + key.size();
    size_t index = 0;
    auto [dot, error] = std::from_chars(first, last, index);
    EMBER_CHECK(error == std::errc() && dot != first && dot < last && *dot == '.', name_,
                ": load_state_dict: malformed key '", key, "'; expected state.<index>.<name>");
    EMBER_CHECK(index < states.size(), name_, ": load_state_dict: key '", key,
                "' names parameter ", index, " but there are ", states.size());
    const std::string entry(dot + 1, last);
    const Tensor& param = *params[index];
    bool known = false;
    State::for_each_field(states[index], [&](const char* name, auto& field, bool) {
      using V = std::decay_t<decltype(field)>;
      if (entry != name) return;
      known = true;
      if constexpr (std::is_same_v<V, Tensor>) {
        EMBER_CHECK(value.shape() == param.shape(), name_, ": load_state_dict: '", key,
                    "' has shape ", value.shape(), " but parameter ", index, " has shape ",
                    param.shape());
        EMBER_CHECK(value.is_floating_point(), name_, ": load_state_dict: '", key, "' is ",
                    dtype_name(value.dtype()), "; expected float32 or float64");
        field = empty(param.shape(), param.dtype());
        ember::detail::copy_into(field, value);
      } else if constexpr (std::is_same_v<V, int64_t>) {
        double number = detail::read_scalar(name_, key, value);
        EMBER_CHECK(number >= 0 && number == std::floor(number) && number < 9.0e15, name_,
                    ": load_state_dict: '", key, "' must be a whole number >= 0, got ",
                    detail::describe(number));
        field = static_cast<int64_t>(number);
      } else {
        field = detail::read_scalar(name_, key, value);
      }
    });
    EMBER_CHECK(known, name_, ": load_state_dict: unknown state entry '", entry, "' in key '",
                key, "'");
    has_state[index] = true;
  }
  for (size_t i = 0; i < states.size(); ++i) {
    if (!has_state[i]) continue;
    State::for_each_field(states[i], [&](const char* name, auto&, bool required) {
      const std::string key = "state." + std::to_string(i) + "." + name;
      EMBER_CHECK(!required || dict.contains(key), name_, ": load_state_dict: parameter ", i,
                  " has state but no '", key, "'");
    });
  }

  // Everything checked: commit.
  for (size_t g = 0; g < groups_.size(); ++g) groups_[g].options = options[g];
  states_ = std::move(states);
}

template <class Options, class State>
std::string OptimizerWithOptions<Options, State>::to_string() const {
  std::ostringstream out;
  out << name_ << " (\n";
  for (size_t g = 0; g < groups_.size(); ++g) {
    out << "Parameter Group " << g << " (" << groups_[g].params.size() << " tensors)\n";
    detail::print_options(out, groups_[g].options);
  }
  out << ")";
  return out.str();
}

}  // namespace ember::optim
