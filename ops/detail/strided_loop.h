#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "framework/parallel.h"
#include "framework/tensor.h"

namespace ember::detail {

// Walks N operands of one (broadcast) shape together. Operand 0 is usually the
// output. Dims of size 1 are dropped and dims that are contiguous in every
// operand are merged, so a contiguous op becomes one flat row, a scalar
// operand a row with stride 0, and a transpose two nested rows.
//
// for_each_row calls row(pointers, strides, n) for runs of n elements along the
// innermost merged dim: pointers[i] is operand i's first element of the run
// (as char*), strides[i] its step in elements. Rows are spread over threads;
// one long row is split into chunks instead.
template <size_t N>
class StridedLoop {
 public:
  using Pointers = std::array<char*, N>;
  using Strides = std::array<int64_t, N>;

  // `shape` is the iteration shape; each operand is viewed with `strides[i]`
  // (already broadcast: 0 where it repeats) starting at `data[i]`.
  StridedLoop(const Shape& shape, const std::array<const Shape*, N>& strides,
              const Pointers& data, const std::array<size_t, N>& element_sizes)
      : data_(data), element_sizes_(element_sizes) {
    for (size_t d = shape.size(); d-- > 0;) {
      if (shape[d] == 1) continue;
      Strides dim_strides;
      for (size_t i = 0; i < N; ++i) dim_strides[i] = (*strides[i])[d];
      bool mergeable = !sizes_.empty();
      for (size_t i = 0; i < N && mergeable; ++i) {
        mergeable = dim_strides[i] == strides_.back()[i] * sizes_.back();
      }
      if (mergeable) {
        sizes_.back() *= shape[d];
      } else {
        sizes_.push_back(shape[d]);
        strides_.push_back(dim_strides);
      }
    }
    // sizes_ and strides_ are innermost first.
    if (sizes_.empty()) {
      sizes_.push_back(1);
      strides_.push_back(Strides{});
    }
    numel_ = 1;
    for (int64_t size : sizes_) numel_ *= size;
  }

  int64_t numel() const { return numel_; }

  // The merged dims, innermost first, and each operand's strides along them.
  const std::vector<int64_t>& sizes() const { return sizes_; }
  const std::vector<Strides>& strides() const { return strides_; }
  const Pointers& data() const { return data_; }

  // True when the whole loop is one row with every stride 1.
  bool is_flat_contiguous() const {
    if (sizes_.size() != 1) return false;
    for (int64_t stride : strides_[0]) {
      if (stride != 1) return false;
    }
    return true;
  }

  template <typename Row>
  void for_each_row(const Row& row, int64_t grain = kElementwiseGrain) const {
    if (numel_ == 0) return;
    const int64_t inner = sizes_[0];
    const Strides& inner_strides = strides_[0];
    const int64_t rows = numel_ / inner;

    if (rows == 1) {
      parallel_for(0, inner, grain, [&](int64_t begin, int64_t end) {
        row(offset_pointers(data_, inner_strides, begin), inner_strides, end - begin);
      });
      return;
    }

    int64_t row_grain = std::max<int64_t>(1, grain / inner);
    parallel_for(0, rows, row_grain, [&](int64_t begin, int64_t end) {
      // Decompose the first row index once, then step like an odometer.
      std::vector<int64_t> index(sizes_.size(), 0);
      int64_t rest = begin;
      for (size_t d = 1; d < sizes_.size(); ++d) {
        index[d] = rest % sizes_[d];
        rest /= sizes_[d];
      }
      for (int64_t r = begin; r < end; ++r) {
        Pointers pointers = data_;
        for (size_t d = 1; d < sizes_.size(); ++d) {
          pointers = offset_pointers(pointers, strides_[d], index[d]);
        }
        row(pointers, inner_strides, inner);
        for (size_t d = 1; d < sizes_.size(); ++d) {
          if (++index[d] < sizes_[d]) break;
          index[d] = 0;
        }
      }
    });
  }

 private:
  Pointers offset_pointers(Pointers pointers, const Strides& strides, int64_t steps) const {
    for (size_t i = 0; i < N; ++i) {
      pointers[i] += steps * strides[i] * static_cast<int64_t>(element_sizes_[i]);
    }
    return pointers;
  }

  Pointers data_;
  std::array<size_t, N> element_sizes_;
  std::vector<int64_t> sizes_;
  std::vector<Strides> strides_;
  int64_t numel_ = 1;
};

// Strides of `tensor` viewed at `shape` by broadcasting (0 on stretched dims).
Shape broadcast_strides(const Tensor& tensor, const Shape& shape);

// Builds the loop over out and inputs, each broadcast to out's shape.
template <size_t N>
StridedLoop<N> make_loop(const std::array<const Tensor*, N>& operands) {
  const Shape& shape = operands[0]->shape();
  std::array<Shape, N> strides;
  std::array<const Shape*, N> stride_refs;
  typename StridedLoop<N>::Pointers data;
  std::array<size_t, N> sizes;
  for (size_t i = 0; i < N; ++i) {
    strides[i] = i == 0 ? operands[0]->strides() : broadcast_strides(*operands[i], shape);
    stride_refs[i] = &strides[i];
    data[i] = static_cast<char*>(operands[i]->raw_data());
    sizes[i] = element_size(operands[i]->dtype());
  }
  return StridedLoop<N>(shape, stride_refs, data, sizes);
}

// Copies src (broadcast to dst's shape, any dtype) into dst, converting.
void copy_into(const Tensor& dst, const Tensor& src);

}  // namespace ember::detail
