#include "framework/error.h"

namespace ember {

std::string format_shape(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

namespace detail {

void internal_error(const char* condition, const char* file, int line) {
  std::ostringstream out;
  out << "internal error in ember (this is a framework bug, please report it): "
      << condition << " failed at " << file << ":" << line;
  throw Error(out.str());
}

}  // namespace detail
}  // namespace ember
