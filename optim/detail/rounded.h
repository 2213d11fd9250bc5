#pragma once

namespace ember::optim::detail {

// Rounds a product to double before the next operation, as Python evaluates
// PyTorch's schedules. The build enables FMA, and the compiler may otherwise
// fuse `a * b + c` into one rounding: the rates then drift from PyTorch's in
// the last bits, and an exact zero (a OneCycle phase of no length) becomes tiny.
inline double rounded(double value) {
  volatile double stored = value;
  return stored;
}

}  // namespace ember::optim::detail
