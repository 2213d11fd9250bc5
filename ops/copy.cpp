#include <cmath>
#include <cstring>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/profiler.h"
#include "ops/detail/pointwise.h"
#include "ops/detail/profile_counts.h"
#include "ops/detail/strided_loop.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace ember {
namespace detail {

Shape broadcast_strides(const Tensor& tensor, const Shape& shape) {
  const Shape& sizes = tensor.shape();
  EMBER_ASSERT(sizes.size() <= shape.size());
  Shape strides(shape.size(), 0);
  size_t lead = shape.size() - sizes.size();
  for (size_t d = 0; d < sizes.size(); ++d) {
    strides[lead + d] = sizes[d] == 1 ? 0 : tensor.strides()[d];
  }
  return strides;
}

namespace {

// A copy whose source runs contiguously along a different dim than the
// destination (a transpose, a permute) goes tile by tile, so both sides stay
// in cache; element by element it would miss on every source read.
template <typename Word>
void transpose_copy(const StridedLoop<2>& loop) {
  constexpr int64_t kTile = 32;
  const auto& sizes = loop.sizes();
  const auto& strides = loop.strides();
  const int64_t rows = sizes[0];
  const int64_t columns = sizes[1];
  const int64_t row_tiles = (rows + kTile - 1) / kTile;
  const int64_t column_tiles = (columns + kTile - 1) / kTile;
  int64_t outer = 1;
  for (size_t d = 2; d < sizes.size(); ++d) outer *= sizes[d];

  parallel_for(0, outer * column_tiles, 16, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      int64_t rest = task / column_tiles;
      auto* dst = reinterpret_cast<Word*>(loop.data()[0]);
      const auto* src = reinterpret_cast<const Word*>(loop.data()[1]);
      for (size_t d = 2; d < sizes.size(); ++d) {
        int64_t index = rest % sizes[d];
        rest /= sizes[d];
        dst += index * strides[d][0];
        src += index * strides[d][1];
      }
      int64_t j0 = task % column_tiles * kTile;
      int64_t j_count = std::min(columns, j0 + kTile) - j0;

      // Each tile goes through a small buffer: source rows are read and
      // destination rows written contiguously. Walking the tile directly
      // strides one side by a power of two, which maps every access to the
      // same cache set and thrashes it.
      Word buffer[kTile][kTile];
      for (int64_t tile = 0; tile < row_tiles; ++tile) {
        int64_t i0 = tile * kTile;
        int64_t i_count = std::min(rows, i0 + kTile) - i0;
        for (int64_t i = 0; i < i_count; ++i) {
          const Word* source_row = src + (i0 + i) * strides[0][1] + j0;
          for (int64_t j = 0; j < j_count; ++j) buffer[j][i] = source_row[j];
        }
        for (int64_t j = 0; j < j_count; ++j) {
          Word* destination_row = dst + (j0 + j) * strides[1][0] + i0;
          for (int64_t i = 0; i < i_count; ++i) destination_row[i] = buffer[j][i];
        }
      }
    }
  });
}

bool is_transpose_pattern(const StridedLoop<2>& loop) {
  const auto& strides = loop.strides();
  return loop.sizes().size() >= 2 && strides[0][0] == 1 && strides[0][1] != 1 &&
         strides[1][1] == 1;
}

}  // namespace

void copy_into(const Tensor& dst, const Tensor& src) {
  auto loop = make_loop<2>({&dst, &src});
  if (dst.dtype() == src.dtype() && is_transpose_pattern(loop)) {
    switch (element_size(dst.dtype())) {
      case 8: return transpose_copy<uint64_t>(loop);
      case 4: return transpose_copy<uint32_t>(loop);
      case 1: return transpose_copy<uint8_t>(loop);
      default: break;
    }
  }
  if (dst.dtype() == src.dtype() && loop.is_flat_contiguous()) {
    size_t bytes = element_size(dst.dtype());
    char* out = static_cast<char*>(dst.raw_data());
    const char* in = static_cast<const char*>(src.raw_data());
    parallel_for(0, dst.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
      std::memcpy(out + begin * bytes, in + begin * bytes, (end - begin) * bytes);
    });
    return;
  }
  EMBER_DISPATCH_ALL(dst.dtype(), "copy", [&] {
    using out_t = scalar_t;
    EMBER_DISPATCH_ALL(src.dtype(), "copy", [&] {
      using in_t = scalar_t;
      loop.for_each_row([](auto pointers, auto strides, int64_t n) {
        auto* out = reinterpret_cast<out_t*>(pointers[0]);
        const auto* in = reinterpret_cast<const in_t*>(pointers[1]);
        for (int64_t i = 0; i < n; ++i) {
          out[i * strides[0]] = static_cast<out_t>(in[i * strides[1]]);
        }
      });
    });
  });
}

}  // namespace detail

Tensor& Tensor::copy_(const Tensor& source) {
  EMBER_PROFILE_OP("copy_", *this, source);
  EMBER_CHECK(broadcast_shapes(shape(), source.shape(), "copy_") == shape(), "copy_: source ",
              source.shape(), " does not broadcast to the destination ", shape());
  bool source_requires_grad = any_requires_grad({&source}) && is_floating(dtype());
  check_inplace(*this, "copy_", source_requires_grad);
  detail::check_writable(*this, "copy_");
  detail::count_bytes(source, *this);
  if (storage() == source.storage() && !same(source)) {
    // Overlapping storage: go through a temporary so no element is read after
    // it was overwritten.
    Tensor staged = source.clone();
    NoGradGuard no_grad;
    detail::copy_into(*this, staged);
  } else {
    detail::copy_into(*this, source);
  }
  storage()->bump_version();

  if (source_requires_grad || (GradMode::is_enabled() && requires_grad() &&
                               is_floating(dtype()))) {
    Shape source_shape = source.shape();
    DType source_dtype = source.dtype();
    auto backward = [source_shape, source_dtype](const TensorList& grads) -> TensorList {
      // The old value of self is overwritten: no gradient flows to it.
      return {Tensor(), sum_to(grads[0], source_shape).to(source_dtype)};
    };
    auto node = std::make_shared<FunctionNode<decltype(backward)>>("CopyBackwards", backward);
    rebase_history(*this, node, {source});
  }
  return *this;
}

Tensor Tensor::clone() const {
  EMBER_PROFILE_OP("clone", *this);
  Tensor result = empty(shape(), dtype());
  detail::count_bytes(*this, result);
  detail::copy_into(result, *this);
  return record_op("CloneBackward", result, {*this},
                   [](const TensorList& grads) -> TensorList { return {grads[0]}; });
}

// Only the copy is recorded: a contiguous tensor returns itself.
Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  EMBER_PROFILE_OP("contiguous", *this);
  return clone();
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  EMBER_PROFILE_OP("to", *this);
  EMBER_CHECK(!requires_grad() || is_floating(target), "to: cannot convert a tensor that "
              "requires grad to ", dtype_name(target), "; detach() it first");
  Tensor result = empty(shape(), target);
  detail::count_bytes(*this, result);
  detail::copy_into(result, *this);
  DType source_dtype = dtype();
  return record_op("ToCopyBackward", result, {*this},
                   [source_dtype](const TensorList& grads) -> TensorList {
                     return {grads[0].to(source_dtype)};
                   });
}

Tensor& Tensor::fill_(double value) {
  EMBER_PROFILE_OP("fill_", *this);
  check_inplace(*this, "fill_");
  check_storable(value, dtype(), "fill_");
  detail::count_bytes(*this);
  auto loop = detail::make_loop<1>({this});
  EMBER_DISPATCH_ALL(dtype(), "fill_", [&] {
    auto typed = static_cast<scalar_t>(value);
    loop.for_each_row([typed](auto pointers, auto strides, int64_t n) {
      auto* out = reinterpret_cast<scalar_t*>(pointers[0]);
      if (strides[0] == 1) {
        std::fill(out, out + n, typed);
      } else {
        for (int64_t i = 0; i < n; ++i) out[i * strides[0]] = typed;
      }
    });
  });
  storage()->bump_version();
  if (GradMode::is_enabled() && requires_grad()) {
    auto backward = [](const TensorList&) -> TensorList { return {Tensor()}; };
    auto node = std::make_shared<FunctionNode<decltype(backward)>>("FillBackward", backward);
    rebase_history(*this, node, {});
  }
  return *this;
}

Tensor& Tensor::zero_() {
  EMBER_PROFILE_OP("zero_", *this);
  return fill_(0.0);
}

template <typename T>
T Tensor::item() const {
  EMBER_CHECK(numel() == 1, "item: expected a tensor with one element, got shape ", shape());
  return EMBER_DISPATCH_ALL(dtype(), "item", [&]() -> T {
    return static_cast<T>(*static_cast<const scalar_t*>(raw_data()));
  });
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  Tensor dense = empty(shape(), dtype_of<T>::value);
  detail::copy_into(dense, *this);
  const T* data = dense.data_ptr<T>();
  return std::vector<T>(data, data + dense.numel());
}

template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template int64_t Tensor::item<int64_t>() const;
template bool Tensor::item<bool>() const;
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<bool> Tensor::to_vector<bool>() const;

}  // namespace ember
