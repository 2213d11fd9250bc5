#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "framework/tensor.h"

namespace ember {

// Where a gradient goes: input `input_nr` of `node`.
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t input_nr = 0;

  bool valid() const { return node != nullptr; }
};

// What backward needs to know of a forward output to stand in a zero gradient.
struct OutputMeta {
  Shape shape;
  DType dtype = kFloat32;
};

// One step of the recorded graph: receives the gradients of the forward op's
// outputs and returns the gradients of its inputs, one per next edge.
class Node {
 public:
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual std::string name() const = 0;

  // grads has one defined tensor per forward output (zeros stand in for outputs
  // that received nothing); the result has one entry per next edge, undefined
  // where no gradient flows.
  virtual TensorList apply(TensorList&& grads) = 0;

  // Drops saved tensors after a backward without retain_graph.
  virtual void release_saved() { released_ = true; }
  bool released() const { return released_; }

  const std::vector<Edge>& next_edges() const { return next_edges_; }
  std::vector<Edge>& mutable_next_edges() { return next_edges_; }
  const std::vector<OutputMeta>& outputs() const { return outputs_; }
  uint32_t add_output(const Tensor& output);

  // Creation order; later nodes run first when several are ready.
  uint64_t sequence_nr() const { return sequence_nr_; }

  // Hooks on the gradient of forward output `output_nr`, run before apply().
  void add_pre_hook(uint32_t output_nr, GradHook hook);
  void run_pre_hooks(TensorList& grads) const;

 protected:
  bool released_ = false;

 private:
  std::vector<Edge> next_edges_;
  std::vector<OutputMeta> outputs_;
  std::vector<std::pair<uint32_t, GradHook>> pre_hooks_;
  uint64_t sequence_nr_;
};

// Accumulates the incoming gradient into a leaf's .grad().
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor leaf);
  std::string name() const override { return "AccumulateGrad"; }
  TensorList apply(TensorList&& grads) override;
  void release_saved() override {}  // nothing saved; stays usable

  const Tensor& leaf() const { return leaf_; }

 private:
  Tensor leaf_;
};

// A tensor kept for backward. Holds a detached alias (no reference to the
// graph, so saving an op's own output makes no cycle) and the storage version
// at save time, so a later in-place change is caught instead of silently
// producing a wrong gradient.
class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& tensor);

  // The saved tensor; throws if it was modified in place since it was saved.
  const Tensor& unpack(const char* op) const;
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  uint64_t version_ = 0;
};

// A node whose backward is a callable, released (and its captured state freed)
// after use. Ops build theirs with make_node below.
template <typename Backward>
class FunctionNode final : public Node {
 public:
  FunctionNode(const char* name, Backward backward)
      : name_(name), backward_(std::move(backward)) {}

  std::string name() const override { return name_; }

  TensorList apply(TensorList&& grads) override { return (*backward_)(grads); }

  void release_saved() override {
    backward_.reset();
    released_ = true;
  }

 private:
  const char* name_;
  std::optional<Backward> backward_;
};

// ---- helpers for op authors ----

// True when grad mode is on and any input requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);
bool any_requires_grad(const TensorList& inputs);

// The edge a gradient for `tensor` must flow into (invalid when none).
Edge gradient_edge(const Tensor& tensor);

// Connects `node` to the inputs and makes it the grad_fn of `outputs`.
void record(const std::shared_ptr<Node>& node, const TensorList& inputs,
            const TensorList& outputs);

// Records `output = op(inputs)` with backward `fn(grads) -> input grads`, when
// any input requires grad. Returns output for chaining.
template <typename Backward>
Tensor record_op(const char* name, Tensor output, const TensorList& inputs, Backward fn) {
  if (any_requires_grad(inputs)) {
    auto node = std::make_shared<FunctionNode<Backward>>(name, std::move(fn));
    record(node, inputs, {output});
  }
  return output;
}

// Makes `node` the new history of `self` after an in-place op on it.
void rebase_history(const Tensor& self, const std::shared_ptr<Node>& node,
                    const TensorList& other_inputs);

// Throws if `self` may not be modified in place (a leaf that requires grad,
// or a view taking part in autograd) while grad mode is on.
// Limitation: in-place writes through views are not tracked by autograd, so a
// view that requires grad, or receives an operand that does, is refused.
void check_inplace(const Tensor& self, const char* op, bool other_requires_grad = false);

// Runs backward from `roots`. Used by Tensor::backward and ember::backward.
void run_backward(const TensorList& roots, const TensorList& grads, bool retain_graph);

// Backpropagates from several outputs at once.
void backward(const TensorList& tensors, const TensorList& grads = {},
              bool retain_graph = false);

}  // namespace ember
