// Trains a multilayer perceptron on Fashion-MNIST with the data, flags and
// loop of fashion_mnist.cpp (common/fashion_training), for comparison with
// its CNN.
//
//   x: [B, 1, 28, 28] normalized with mean 0.2860, std 0.3530
//   flatten                                  -> [B, 784]
//   linear 784->512 ReLU, dropout P          -> [B, 512]
//   linear 512->256 ReLU, dropout P          -> [B, 256]
//   linear 256->10                           -> logits [B, 10]
//
// Adam (lr 1e-3) at batch 64, one epoch by default; --dropout P (default 0,
// off) regularizes longer runs. `mlp_fashion_mnist --help` lists every flag.
// Exits with status 2 when the data files are missing, 1 on other errors.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "common/fashion_training.h"
#include "ember.h"

namespace {

namespace nn = ember::nn;

// The network of the header comment. The dropout layers stay in place when
// p is 0 (they pass their input through), so the state_dict keys ("1.weight",
// "4.weight", "7.weight") do not depend on the flag.
nn::Sequential make_model(double dropout) {
  return nn::Sequential(nn::Flatten(), nn::Linear(784, 512), nn::ReLU(), nn::Dropout(dropout),
                        nn::Linear(512, 256), nn::ReLU(), nn::Dropout(dropout),
                        nn::Linear(256, 10));
}

std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything touches OpenBLAS: restart with fast kernels if Debian's
  // OpenBLAS fell back to its generic ones on this CPU.
  ember::blas::reexec_with_fast_kernels(argv);

  CLI::App app{"Trains an MLP (784-512-256-10) on Fashion-MNIST with ember"};
  fashion_training::Flags flags = fashion_training::default_flags("mlp_fashion_mnist");
  fashion_training::add_flags(app, flags);
  double dropout = 0.0;
  app.add_option("--dropout", dropout, "Dropout probability after each hidden layer; 0: off")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  CLI11_PARSE(app, argc, argv);

  // A resumed run must keep the dropout of the run it continues.
  std::string dropout_text = format_number(dropout);
  fashion_training::Program program{
      .name = "mlp_fashion_mnist",
      .make_model = [dropout] { return make_model(dropout); },
      .settings = dropout > 0 ? ", dropout " + dropout_text : "",
      .identity = {{"dropout", dropout_text}}};
  return fashion_training::run(program, flags);
}
