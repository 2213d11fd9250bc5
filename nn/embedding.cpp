#include "nn/embedding.h"

#include "framework/autograd/grad_mode.h"
#include "framework/error.h"
#include "nn/init.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"

namespace ember::nn {

EmbeddingImpl::EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim,
                             const EmbeddingOptions& options)
    : num_embeddings(num_embeddings), embedding_dim(embedding_dim) {
  EMBER_CHECK(num_embeddings >= 0 && embedding_dim >= 0, "Embedding: sizes must be ",
              "non-negative, got num_embeddings=", num_embeddings,
              ", embedding_dim=", embedding_dim);
  if (options.padding_idx) {
    const int64_t index = *options.padding_idx;
    EMBER_CHECK(index >= -num_embeddings && index < num_embeddings, "Embedding: padding_idx=",
                index, " must be within num_embeddings=", num_embeddings, " (in [",
                -num_embeddings, ", ", num_embeddings, "))");
    padding_idx = index < 0 ? index + num_embeddings : index;
  }
  weight = register_parameter("weight", empty({num_embeddings, embedding_dim}));
  reset_parameters();
}

void EmbeddingImpl::reset_parameters() {
  init::normal_(weight);
  if (padding_idx) {
    NoGradGuard no_grad;
    weight.select(0, *padding_idx).fill_(0.0);
  }
}

Tensor EmbeddingImpl::forward(const Tensor& indices) {
  EMBER_CHECK(indices.dtype() == kInt64, "Embedding: indices must be int64, got ",
              dtype_name(indices.dtype()), " of shape ", indices.shape());
  Tensor flat = indices.reshape({indices.numel()}).contiguous();

  // Checked here rather than left to index_select, so the message names the module.
  const int64_t* data = flat.data_ptr<int64_t>();
  for (int64_t i = 0; i < flat.numel(); ++i) {
    EMBER_CHECK(data[i] >= 0 && data[i] < num_embeddings, "Embedding: index ", data[i],
                " is out of range for num_embeddings=", num_embeddings, " (indices of shape ",
                indices.shape(), "); indices must be in [0, ", num_embeddings, ")");
  }

  Tensor rows = index_select(weight, 0, flat);
  if (padding_idx && rows.requires_grad()) {
    // The padding row's value passes through, its gradient does not.
    Tensor keep = ne(flat, static_cast<double>(*padding_idx)).unsqueeze(1);
    rows = where(keep, rows, rows.detach());
  }

  Shape out_shape = indices.shape();
  out_shape.push_back(embedding_dim);
  return rows.reshape(out_shape);
}

std::string EmbeddingImpl::extra_repr() const {
  std::string text = std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
  if (padding_idx) text += ", padding_idx=" + std::to_string(*padding_idx);
  return text;
}

}  // namespace ember::nn
