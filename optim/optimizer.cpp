#include "optim/optimizer.h"

namespace ember::optim {

void Optimizer::zero_grad(bool set_to_none) {
  for (size_t group = 0; group < num_param_groups(); ++group) {
    for (const Tensor& param : params(group)) param.zero_grad(set_to_none);
  }
}

}  // namespace ember::optim
