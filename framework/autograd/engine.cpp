#include <queue>
#include <unordered_map>

#include "framework/autograd/autograd_meta.h"
#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/profiler.h"

namespace ember {
namespace {

struct NodeState {
  int dependencies = 0;
  TensorList grads;  // one per forward output of the node
};

// Counts, for every node reachable from the roots, how many edges lead into
// it. Iterative, so chains of any length stay off the call stack.
std::unordered_map<Node*, NodeState> count_dependencies(const std::vector<Edge>& roots) {
  std::unordered_map<Node*, NodeState> states;
  std::vector<Node*> stack;
  for (const Edge& root : roots) {
    if (states.emplace(root.node.get(), NodeState{}).second) stack.push_back(root.node.get());
  }
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const Edge& edge : node->next_edges()) {
      if (!edge.valid()) continue;
      auto [it, inserted] = states.emplace(edge.node.get(), NodeState{});
      it->second.dependencies += 1;
      if (inserted) stack.push_back(edge.node.get());
    }
  }
  return states;
}

void accumulate(TensorList& slots, uint32_t index, Tensor grad, const Node& node) {
  if (slots.empty()) slots.resize(node.outputs().size());
  Tensor& slot = slots[index];
  if (!slot.defined()) {
    slot = std::move(grad);
  } else if (slot.is_contiguous() && slot.storage().use_count() == 1 &&
             slot.impl_ptr().use_count() == 1) {
    slot.add_(grad);
  } else {
    slot = slot.clone().add_(grad);
  }
}

void fill_missing_grads(TensorList& grads, const Node& node) {
  grads.resize(node.outputs().size());
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) {
      grads[i] = zeros(node.outputs()[i].shape, node.outputs()[i].dtype);
    }
  }
}

struct LaterFirst {
  bool operator()(const Node* a, const Node* b) const {
    return a->sequence_nr() < b->sequence_nr();
  }
};

}  // namespace

void run_backward(const TensorList& roots, const TensorList& grads, bool retain_graph) {
  EMBER_CHECK(grads.empty() || grads.size() == roots.size(), "backward: got ", grads.size(),
              " gradients for ", roots.size(), " tensors");

  // Seed each root with its gradient.
  std::vector<Edge> root_edges;
  TensorList root_grads;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& root = roots[i];
    EMBER_CHECK(root.requires_grad(), "backward: tensor ", root.shape(),
                " does not require grad and has no grad_fn; set requires_grad on a leaf "
                "that feeds it");
    Tensor grad = grads.empty() ? Tensor() : grads[i];
    if (!grad.defined()) {
      EMBER_CHECK(root.numel() == 1, "backward: a gradient can only be created implicitly "
                  "for a scalar output, got shape ", root.shape(),
                  "; pass a gradient of that shape");
      grad = ones_like(root);
    }
    EMBER_CHECK(grad.shape() == root.shape(), "backward: gradient shape ", grad.shape(),
                " differs from the tensor's shape ", root.shape());
    root_edges.push_back(gradient_edge(root));
    root_grads.push_back(grad.dtype() == root.dtype() ? grad : grad.to(root.dtype()));
  }

  NoGradGuard no_grad;
  profiler::Range backward_range("backward", profiler::EventKind::Backward);
  auto states = count_dependencies(root_edges);
  for (size_t i = 0; i < root_edges.size(); ++i) {
    Node* node = root_edges[i].node.get();
    accumulate(states[node].grads, root_edges[i].input_nr, root_grads[i], *node);
  }

  // Kahn's algorithm; among ready nodes the most recently created runs first,
  // which keeps buffers of a long chain short-lived.
  std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready;
  for (const Edge& root : root_edges) {
    NodeState& state = states[root.node.get()];
    if (state.dependencies == 0) {
      state.dependencies = -1;  // queued
      ready.push(root.node.get());
    }
  }

  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    EMBER_CHECK(!node->released(), "backward: ", node->name(), " was already freed by an "
                "earlier backward; pass retain_graph=true to the first backward to "
                "backpropagate through the graph twice");

    TensorList node_grads = std::move(states[node].grads);
    fill_missing_grads(node_grads, *node);
    node->run_pre_hooks(node_grads);
    TensorList input_grads;
    {
      profiler::Range node_range;
      if (profiler::is_enabled()) node_range.open(node->name(), profiler::EventKind::Backward);
      input_grads = node->apply(std::move(node_grads));
    }
    if (!retain_graph) node->release_saved();

    const auto& edges = node->next_edges();
    for (size_t i = 0; i < edges.size(); ++i) {
      if (!edges[i].valid()) continue;
      Node* next = edges[i].node.get();
      NodeState& state = states[next];
      if (i < input_grads.size() && input_grads[i].defined()) {
        accumulate(state.grads, edges[i].input_nr, std::move(input_grads[i]), *next);
      }
      if (--state.dependencies == 0) ready.push(next);
    }
  }
}

void backward(const TensorList& tensors, const TensorList& grads, bool retain_graph) {
  run_backward(tensors, grads, retain_graph);
}

}  // namespace ember
