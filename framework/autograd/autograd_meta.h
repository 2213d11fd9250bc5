#pragma once

#include <memory>
#include <vector>

#include "framework/autograd/node.h"
#include "framework/tensor.h"

namespace ember {

// Autograd state of a tensor, allocated only for tensors that take part in it.
struct AutogradMeta {
  bool requires_grad = false;  // set on leaves by the user
  bool retains_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;  // null for leaves
  uint32_t output_nr = 0;
  std::weak_ptr<Node> grad_accumulator;
  std::vector<GradHook> hooks;  // leaf hooks; non-leaf hooks live on grad_fn
};

AutogradMeta& autograd_meta(const Tensor& tensor);
inline AutogradMeta* autograd_meta_or_null(const Tensor& tensor) {
  return tensor.unsafe_impl()->autograd.get();
}

}  // namespace ember
