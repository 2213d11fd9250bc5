#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "optim/optimizer.h"

namespace ember::optim {

// Parameters that share one set of options: PyTorch's param_groups entry.
//   Adam opt({{encoder_params, {.lr = 1e-4}}, {head_params, {.lr = 1e-3}}});
template <class Options>
struct ParamGroup {
  std::vector<Tensor> params;
  Options options;
};

// What every algorithm shares: typed options per group, one State per
// parameter (parameters counted across groups in order), and saving and
// loading both. A concrete optimizer derives from it and implements step().
//
// Options is an aggregate with a `double lr`, `void validate() const` (throws
// ember::Error naming the bad value) and `for_each_field(self, f)` calling
// f(name, member) for every option (double, bool or std::pair<double, double>).
// State is an aggregate whose default value means "no state yet", with
// `for_each_field(self, f)` calling f(name, member, required) for each entry
// (int64_t, double or Tensor); `required` entries must be present in a saved
// state, the others are created on demand (amsgrad's maximum, for example).
//
// The member definitions live in optim/detail/optimizer_with_options-inl.h and
// are instantiated once per algorithm in its .cpp file.
template <class Options, class State>
class OptimizerWithOptions : public Optimizer {
 public:
  using Group = ParamGroup<Options>;

  size_t num_param_groups() const override { return groups_.size(); }
  const std::vector<Tensor>& params(size_t group) const override { return at(group).params; }

  double lr(size_t group) const override { return at(group).options.lr; }
  // Throws ember::Error for a negative or non-finite learning rate.
  void set_lr(size_t group, double lr) override;

  // `momentum` where the algorithm has one, else beta1 of `betas`, else nullopt.
  std::optional<double> momentum(size_t group) const override;
  // Sets what momentum() reads (no effect where it is nullopt); throws
  // ember::Error when the value is invalid for the group's options.
  void set_momentum(size_t group, double value) override;

  // Tensors "state.<i>.<name>" (copies, PyTorch's names) for every parameter
  // that has state; metadata "optimizer" (the algorithm's name) and
  // "param_groups" (JSON: each group's options and parameter indices).
  StateDict state_dict() const override;
  // Validates everything before changing anything: the algorithm's name, the
  // group and parameter counts, the options, every state entry's name, shape
  // and dtype (floating state is converted to the parameter's dtype, as
  // PyTorch does). Throws ember::Error naming the first mismatch.
  void load_state_dict(const StateDict& state) override;

  // Appends a group of leaf floating-point tensors with its own options.
  // Options left out of a designated initializer take the Options struct's
  // defaults, not this optimizer's constructor options (PyTorch would take
  // those); add_param_group(params) uses the constructor's options.
  // Throws ember::Error for invalid options, a non-leaf or non-floating
  // tensor, or a tensor already in a group.
  void add_param_group(std::vector<Tensor> params, const Options& options);
  void add_param_group(std::vector<Tensor> params) {
    add_param_group(std::move(params), defaults_);
  }

  const std::vector<Group>& param_groups() const { return groups_; }
  const Options& options(size_t group) const { return at(group).options; }
  // Replaces a group's options after validating them.
  void set_options(size_t group, const Options& options);
  // The options the constructor was given.
  const Options& defaults() const { return defaults_; }

  // State of the index-th parameter, counting across groups; a
  // default-constructed State before the parameter's first step.
  const State& state(size_t index) const;

  // The algorithm's name, as in error messages and state_dict().
  const char* name() const { return name_; }
  // One line per group option, in the spirit of PyTorch's repr.
  std::string to_string() const;

 protected:
  // Throws ember::Error for an empty parameter list or any check of
  // add_param_group.
  OptimizerWithOptions(const char* name, std::vector<Group> groups, const Options& defaults);

  // Calls update(param, grad, state, options) for every parameter with a
  // gradient, with grad mode off, after checking the gradient matches the
  // parameter's shape and dtype. Bumps the parameter's version afterwards.
  template <class Update>
  void for_each_param_with_grad(const Update& update);

 private:
  const Group& at(size_t group) const;

  const char* name_;
  Options defaults_;
  std::vector<Group> groups_;
  std::vector<State> states_;
};

}  // namespace ember::optim
