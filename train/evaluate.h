#pragma once

// Scoring a classifier over a data loader: the validation and test passes of
// a training loop.
//
//   train::Evaluation valid = train::evaluate(*model, valid_loader);
//   std::printf("valid loss %.4f acc %.4f\n", valid.loss, valid.accuracy);

#include <cstdint>

#include "data/data_loader.h"
#include "nn/module.h"
#include "train/metrics.h"

namespace ember::train {

struct Evaluation {
  double loss = 0.0;      // mean cross-entropy per example
  double accuracy = 0.0;  // share of examples whose highest logit is the target
  int64_t examples = 0;
};

// One pass over `loader` with `model` (logits [B, C]) in evaluation mode and
// without grad, then back in the mode it was in. Targets are class indices or
// soft targets, as cross_entropy takes them. Counts every batch into `matrix`
// when one is given. An empty loader gives NaN loss and accuracy.
Evaluation evaluate(nn::Module& model, data::DataLoader& loader,
                    ConfusionMatrix* matrix = nullptr);

}  // namespace ember::train
