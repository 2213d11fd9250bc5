#!/usr/bin/env bash
# ember's main job, from a fresh Debian 12 clone: installs the packages it
# needs (only when missing), builds in Release and trains a CNN on
# Fashion-MNIST (examples/fashion_mnist.cpp): 5 epochs, about 91% test
# accuracy, under two minutes on two cores. Arguments go to the program after
# `--epochs 5` and the build/ paths of the checkpoints and the CSV log, and a
# repeated flag takes its last value: `./run.sh --epochs 1` is a short run,
# `./run.sh --resume` continues an interrupted one, `./run.sh --help` lists
# every flag.
set -euo pipefail
cd "$(dirname "$0")"

.ci/install-deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)" --target fashion_mnist

# The program restarts itself with the right OPENBLAS_CORETYPE when Debian's
# OpenBLAS picked its generic kernels on this CPU.
exec build/examples/fashion_mnist --epochs 5 --checkpoint build/fashion_mnist.safetensors \
  --csv build/fashion_mnist.csv "$@"
