#include "framework/autograd/node.h"

#include <atomic>

#include "framework/autograd/autograd_meta.h"
#include "framework/autograd/grad_mode.h"

namespace ember {
namespace {
std::atomic<uint64_t> g_next_sequence_nr{0};
}

Node::Node() : sequence_nr_(g_next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

Node::~Node() {
  // Free the chain behind this node iteratively: a graph of 100,000 ops would
  // otherwise recurse once per node through shared_ptr destructors.
  std::vector<std::shared_ptr<Node>> pending;
  for (Edge& edge : next_edges_) {
    if (edge.node) pending.push_back(std::move(edge.node));
  }
  while (!pending.empty()) {
    std::shared_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    if (node.use_count() == 1) {
      for (Edge& edge : node->next_edges_) {
        if (edge.node) pending.push_back(std::move(edge.node));
      }
    }
  }
}

uint32_t Node::add_output(const Tensor& output) {
  outputs_.push_back({output.shape(), output.dtype()});
  return static_cast<uint32_t>(outputs_.size() - 1);
}

void Node::add_pre_hook(uint32_t output_nr, GradHook hook) {
  pre_hooks_.emplace_back(output_nr, std::move(hook));
}

namespace {

void check_hook_result(const Tensor& replaced, const Tensor& original) {
  EMBER_CHECK(replaced.shape() == original.shape() && replaced.dtype() == original.dtype(),
              "hook: a gradient hook returned ", dtype_name(replaced.dtype()), " ",
              replaced.shape(), " for a gradient of ", dtype_name(original.dtype()), " ",
              original.shape(), "; a hook may change values, not the shape or dtype");
}

}  // namespace

void Node::run_pre_hooks(TensorList& grads) const {
  for (const auto& [output_nr, hook] : pre_hooks_) {
    Tensor replaced = hook(grads[output_nr]);
    if (!replaced.defined()) continue;
    check_hook_result(replaced, grads[output_nr]);
    grads[output_nr] = std::move(replaced);
  }
}

AccumulateGrad::AccumulateGrad(Tensor leaf) : leaf_(std::move(leaf)) { add_output(leaf_); }

TensorList AccumulateGrad::apply(TensorList&& grads) {
  Tensor incoming = std::move(grads[0]);
  AutogradMeta& meta = autograd_meta(leaf_);
  for (const GradHook& hook : meta.hooks) {
    Tensor replaced = hook(incoming);
    if (!replaced.defined()) continue;
    check_hook_result(replaced, incoming);
    incoming = std::move(replaced);
  }

  if (!meta.grad.defined()) {
    // Keep the buffer when nothing else can see it; copy views and expansions.
    bool owned = incoming.is_contiguous() && incoming.storage().use_count() == 1 &&
                 incoming.impl_ptr().use_count() == 1;
    meta.grad = owned ? incoming : incoming.clone();
  } else {
    meta.grad.add_(incoming);
  }
  return {};
}

SavedTensor::SavedTensor(const Tensor& tensor) {
  if (!tensor.defined()) return;
  data_ = tensor.detach();
  version_ = tensor.version();
}

const Tensor& SavedTensor::unpack(const char* op) const {
  EMBER_CHECK(!data_.defined() || data_.version() == version_, op,
              ": a tensor saved for the gradient was modified by an in-place operation: ",
              dtype_name(data_.dtype()), " ", data_.shape(), " is at version ",
              data_.version(), ", expected version ", version_,
              "; make the in-place change after backward, or use its out-of-place form");
  return data_;
}

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor* input : inputs) {
    if (input->defined() && input->requires_grad()) return true;
  }
  return false;
}

bool any_requires_grad(const TensorList& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& input : inputs) {
    if (input.defined() && input.requires_grad()) return true;
  }
  return false;
}

Edge gradient_edge(const Tensor& tensor) {
  if (!tensor.defined()) return {};
  AutogradMeta* meta = autograd_meta_or_null(tensor);
  if (meta == nullptr) return {};
  if (meta->grad_fn) return {meta->grad_fn, meta->output_nr};
  if (!meta->requires_grad) return {};

  std::shared_ptr<Node> accumulator = meta->grad_accumulator.lock();
  if (!accumulator) {
    accumulator = std::make_shared<AccumulateGrad>(tensor);
    meta->grad_accumulator = accumulator;
  }
  return {accumulator, 0};
}

void record(const std::shared_ptr<Node>& node, const TensorList& inputs,
            const TensorList& outputs) {
  auto& edges = node->mutable_next_edges();
  edges.reserve(inputs.size());
  for (const Tensor& input : inputs) edges.push_back(gradient_edge(input));

  for (const Tensor& output : outputs) {
    if (!output.defined()) continue;
    AutogradMeta& meta = autograd_meta(output);
    meta.grad_fn = node;
    meta.output_nr = node->add_output(output);
  }
}

void rebase_history(const Tensor& self, const std::shared_ptr<Node>& node,
                    const TensorList& other_inputs) {
  auto& edges = node->mutable_next_edges();
  edges.push_back(gradient_edge(self));
  for (const Tensor& input : other_inputs) edges.push_back(gradient_edge(input));

  AutogradMeta& meta = autograd_meta(self);
  meta.grad_fn = node;
  meta.output_nr = node->add_output(self);
}

void check_inplace(const Tensor& self, const char* op, bool other_requires_grad) {
  if (!GradMode::is_enabled()) return;
  AutogradMeta* meta = autograd_meta_or_null(self);
  if (meta != nullptr && meta->requires_grad && !meta->grad_fn) {
    detail::throw_error(op, ": a leaf tensor that requires grad (", dtype_name(self.dtype()),
                        " ", self.shape(), ") cannot be modified in place; wrap the update "
                        "in NoGradGuard or work on a clone");
  }
  bool tracked = self.requires_grad() || other_requires_grad;
  int64_t own_view = self.unsafe_impl()->tracked_view ? 1 : 0;
  int64_t other_views = self.storage()->tracked_views() - own_view;
  if (tracked && other_views > 0) {
    detail::throw_error(op, ": the tensor ", self.shape(), " has views that take part in "
                        "autograd, and in-place changes are not propagated to their "
                        "gradients; use the out-of-place form or drop the views first");
  }
  if (self.unsafe_impl()->is_view && tracked) {
    detail::throw_error(op, ": in-place change of a view of a tensor that requires grad is "
                        "not supported (", self.shape(), "); use the out-of-place form");
  }
}

}  // namespace ember
