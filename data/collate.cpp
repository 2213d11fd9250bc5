#include "data/collate.h"

#include <cstring>
#include <numeric>

#include "framework/autograd/grad_mode.h"
#include "framework/error.h"

namespace ember::data {
namespace {

Tensor allocate(int64_t batch_size, const Tensor& first) {
  if (!first.defined()) return Tensor();
  Shape shape = first.shape();
  shape.insert(shape.begin(), batch_size);
  return empty(shape, first.dtype());
}

// One row of `out` from `value`: a memcpy for the common contiguous case,
// else a strided, converting copy.
void copy_row(const Tensor& out, int64_t row, const Tensor& value) {
  if (value.is_contiguous() && value.dtype() == out.dtype()) {
    size_t bytes = static_cast<size_t>(value.numel()) * element_size(value.dtype());
    std::memcpy(static_cast<char*>(out.raw_data()) + row * bytes, value.raw_data(), bytes);
    return;
  }
  NoGradGuard no_grad;
  Tensor slot = out.select(0, row);
  slot.copy_(value);
}

void check_part(const Tensor& stacked, const Tensor& value, const char* part, int64_t index,
                int64_t first_index) {
  EMBER_CHECK(stacked.defined() == value.defined(), "collate: the example at index ", index,
              value.defined() ? " has a " : " has no ", part, " but the example at index ",
              first_index, value.defined() ? " has none" : " has one",
              "; every example of a batch must agree");
  if (!value.defined()) return;
  Shape expected(stacked.shape().begin() + 1, stacked.shape().end());
  EMBER_CHECK(value.shape() == expected, "collate: the example at index ", index, " has ", part,
              " shape ", value.shape(), " but the example at index ", first_index, " has ",
              expected, "; stacking needs one shape (resize or crop in a transform)");
  EMBER_CHECK(value.dtype() == stacked.dtype(), "collate: the example at index ", index,
              " has ", part, " dtype ", dtype_name(value.dtype()), " but the example at index ",
              first_index, " has ", dtype_name(stacked.dtype()));
}

}  // namespace

namespace detail {

BatchBuilder::BatchBuilder(int64_t batch_size, const Example& first, int64_t first_index)
    : first_index_(first_index) {
  EMBER_CHECK(first.input.defined(), "collate: the example at index ", first_index,
              " has an undefined input");
  batch_.input = allocate(batch_size, first.input);
  batch_.target = allocate(batch_size, first.target);
  put(0, first, first_index);
}

void BatchBuilder::put(int64_t row, const Example& example, int64_t index) {
  check_part(batch_.input, example.input, "input", index, first_index_);
  check_part(batch_.target, example.target, "target", index, first_index_);
  copy_row(batch_.input, row, example.input);
  if (example.target.defined()) copy_row(batch_.target, row, example.target);
}

Batch BatchBuilder::finish(std::vector<int64_t> indices) {
  batch_.indices = std::move(indices);
  return std::move(batch_);
}

}  // namespace detail

Batch collate(const std::vector<Example>& examples, std::vector<int64_t> indices) {
  EMBER_CHECK(!examples.empty(), "collate: expected at least one example");
  if (indices.empty()) {
    indices.resize(examples.size());
    std::iota(indices.begin(), indices.end(), int64_t{0});
  }
  EMBER_CHECK(indices.size() == examples.size(), "collate: ", examples.size(),
              " examples but ", indices.size(), " indices");
  const auto count = static_cast<int64_t>(examples.size());
  detail::BatchBuilder builder(count, examples[0], indices[0]);
  for (int64_t row = 1; row < count; ++row) builder.put(row, examples[row], indices[row]);
  return builder.finish(std::move(indices));
}

}  // namespace ember::data
