#pragma once

#include "framework/tensor.h"

// Matrix products through OpenBLAS (sgemm/dgemm), split across oneTBB tasks
// with OpenBLAS kept serial inside each, so threads never oversubscribe.
namespace ember {

// PyTorch's matmul: 1-D x 1-D is a dot product; 2-D x 2-D a matrix product;
// a 1-D operand gains (then loses) a size-1 dim; with more dims, the leading
// (batch) dims broadcast and each pair of trailing matrices is multiplied.
// Throws naming both shapes when the inner dims differ.
// a: [..., n, k]  b: [..., k, m]  ->  [..., n, m]
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);   // 2-D only
Tensor bmm(const Tensor& a, const Tensor& b);  // [B, n, k] x [B, k, m]
Tensor dot(const Tensor& a, const Tensor& b);  // 1-D only

// y = x W^T + b.  x: [..., in]  weight: [out, in]  bias: [out] or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace ember
