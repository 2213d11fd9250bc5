#include "nn/sequential.h"

namespace ember::nn {

std::shared_ptr<Module> SequentialImpl::operator[](size_t index) const {
  EMBER_CHECK(index < size(), "Sequential: index ", index, " is out of range for ", size(),
              " modules");
  return named_children()[index].second;
}

Tensor SequentialImpl::forward(const Tensor& input) {
  Tensor output = input;
  for (const auto& [name, module] : named_children()) output = module->forward(output);
  return output;
}

}  // namespace ember::nn
