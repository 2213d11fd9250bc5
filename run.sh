#!/usr/bin/env bash
# ember's main job, from a fresh Debian 12 clone: installs the packages it
# needs (only when missing), builds in Release and runs the demo, which fits
# an MLP and prints the loss falling.
set -euo pipefail
cd "$(dirname "$0")"

.ci/install-deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)" --target autograd_demo

# The demo restarts itself with the right OPENBLAS_CORETYPE when Debian's
# OpenBLAS picked its generic kernels on this CPU.
exec build/examples/autograd_demo
