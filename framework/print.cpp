// Printing in the style of PyTorch's repr: values with a shared format,
// nested brackets, "..." past 1000 elements, then shape and dtype.

#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "framework/autograd/node.h"
#include "framework/tensor.h"

namespace ember {
namespace {

constexpr int64_t kSummarizeThreshold = 1000;
constexpr int64_t kEdgeItems = 3;

struct Format {
  bool integral = true;  // every value is whole: print "3." style
  bool scientific = false;
  int width = 1;
};

std::string format_value(double value, const Format& format, bool is_float) {
  char buffer[64];
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (!is_float) {
    std::snprintf(buffer, sizeof(buffer), "%lld", static_cast<long long>(value));
  } else if (format.scientific) {
    std::snprintf(buffer, sizeof(buffer), "%.4e", value);
  } else if (format.integral) {
    std::snprintf(buffer, sizeof(buffer), "%.0f.", value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.4f", value);
  }
  return buffer;
}

Format choose_format(const std::vector<double>& values, bool is_float) {
  Format format;
  double largest = 0;
  double smallest = INFINITY;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (v != std::nearbyint(v)) format.integral = false;
    largest = std::max(largest, std::abs(v));
    if (v != 0) smallest = std::min(smallest, std::abs(v));
  }
  if (is_float) {
    format.scientific = largest >= 1e8 || (!format.integral && smallest < 1e-4) ||
                        (largest / smallest > 1000 && !format.integral && largest >= 1000);
  }
  for (double v : values) {
    format.width = std::max<int>(format.width, format_value(v, format, is_float).size());
  }
  return format;
}

class Printer {
 public:
  Printer(const Tensor& tensor, std::ostream& out)
      : values_(tensor.to_vector<double>()),
        shape_(tensor.shape()),
        summarize_(tensor.numel() > kSummarizeThreshold),
        is_float_(tensor.is_floating_point()),
        is_bool_(tensor.dtype() == kBool),
        out_(out) {
    std::vector<double> shown;
    collect(0, 0, shown);
    format_ = choose_format(shown, is_float_);
  }

  void print(int64_t dim, int64_t offset, int indent) {
    if (shape_.empty()) return print_value(values_[0]);
    out_ << "[";
    int64_t size = shape_[dim];
    int64_t stride = 1;
    for (size_t d = dim + 1; d < shape_.size(); ++d) stride *= shape_[d];
    bool last = dim + 1 == static_cast<int64_t>(shape_.size());

    for (int64_t i = 0; i < size; ++i) {
      if (summarize_ && size > 2 * kEdgeItems && i == kEdgeItems) {
        out_ << (last ? "..., " : "...,\n" + std::string(indent + 1, ' '));
        i = size - kEdgeItems;
      }
      if (last) {
        print_value(values_[offset + i * stride]);
      } else {
        print(dim + 1, offset + i * stride, indent + 1);
      }
      if (i + 1 < size) {
        out_ << (last ? ", " : "," + std::string(shape_.size() - dim - 1, '\n') +
                                   std::string(indent + 1, ' '));
      }
    }
    out_ << "]";
  }

 private:
  void collect(int64_t dim, int64_t offset, std::vector<double>& shown) const {
    if (shape_.empty()) {
      shown.push_back(values_[0]);
      return;
    }
    int64_t stride = 1;
    for (size_t d = dim + 1; d < shape_.size(); ++d) stride *= shape_[d];
    for (int64_t i = 0; i < shape_[dim]; ++i) {
      if (summarize_ && shape_[dim] > 2 * kEdgeItems && i == kEdgeItems) {
        i = shape_[dim] - kEdgeItems;
      }
      if (dim + 1 == static_cast<int64_t>(shape_.size())) {
        shown.push_back(values_[offset + i * stride]);
      } else {
        collect(dim + 1, offset + i * stride, shown);
      }
    }
  }

  void print_value(double value) {
    if (is_bool_) {
      out_ << (value != 0 ? " True" : "False");
      return;
    }
    std::string text = format_value(value, format_, is_float_);
    out_ << std::string(format_.width - text.size(), ' ') << text;
  }

  std::vector<double> values_;
  Shape shape_;
  bool summarize_;
  bool is_float_;
  bool is_bool_;
  Format format_;
  std::ostream& out_;
};

}  // namespace

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) {
  if (!tensor.defined()) return out << "tensor(undefined)";
  out << "tensor(";
  if (tensor.numel() == 0) {
    out << "[]";
  } else {
    Printer(tensor, out).print(0, 0, 7);
  }
  out << ", shape=" << format_shape(tensor.shape()) << ", dtype=" << dtype_name(tensor.dtype());
  if (tensor.grad_fn()) {
    out << ", grad_fn=<" << tensor.grad_fn()->name() << ">";
  } else if (tensor.requires_grad()) {
    out << ", requires_grad=True";
  }
  return out << ")";
}

std::string Tensor::to_string() const {
  std::ostringstream out;
  out << *this;
  return out.str();
}

}  // namespace ember

