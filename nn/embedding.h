#pragma once

#include <memory>
#include <optional>
#include <string>

#include "framework/tensor.h"
#include "nn/module.h"
#include "nn/module_holder.h"

namespace ember::nn {

struct EmbeddingOptions {
  // A row that pads: initialised to zero and never updated (its gradient is
  // zero). Negative counts from the end, as in PyTorch.
  std::optional<int64_t> padding_idx;
};

// A lookup table: row i of the weight is the vector of token i.
//   indices: int64 of any shape [*]  ->  output [*, embedding_dim]
//   weight [num_embeddings, embedding_dim], initialised N(0, 1) (with the
//   padding row zeroed). The output is differentiable with respect to the
//   weight; rows looked up several times accumulate their gradients.
// Not implemented: max_norm, norm_type, scale_grad_by_freq and sparse
// gradients (PyTorch's options that change the lookup or its gradient).
// Throws ember::Error at construction for negative sizes or a padding_idx
// outside [-num_embeddings, num_embeddings); in forward for indices that are
// not int64 or not in [0, num_embeddings), naming the first bad value.
class EmbeddingImpl : public Module {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim,
                const EmbeddingOptions& options = {});

  Tensor forward(const Tensor& indices) override;
  // Draws the weight again from N(0, 1) and zeroes the padding row.
  void reset_parameters();
  // "10, 3, padding_idx=9"
  std::string extra_repr() const override;

  int64_t num_embeddings;
  int64_t embedding_dim;
  std::optional<int64_t> padding_idx;  // in [0, num_embeddings) once constructed
  Tensor weight;
};

class Embedding : public ModuleHolder<EmbeddingImpl> {
 public:
  using ModuleHolder<EmbeddingImpl>::ModuleHolder;
  Embedding(int64_t num_embeddings, int64_t embedding_dim, const EmbeddingOptions& options = {})
      : ModuleHolder(std::make_shared<EmbeddingImpl>(num_embeddings, embedding_dim, options)) {}
};

}  // namespace ember::nn
