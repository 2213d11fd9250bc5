#include "train/evaluate.h"

#include <limits>

#include "framework/autograd/grad_mode.h"
#include "ops/loss.h"
#include "train/detail/mode_restorer.h"

namespace ember::train {

Evaluation evaluate(nn::Module& model, data::DataLoader& loader, ConfusionMatrix* matrix) {
  detail::ModeRestorer restore_mode(model);
  NoGradGuard no_grad;
  model.eval();

  double loss_sum = 0.0;
  int64_t correct = 0;
  int64_t seen = 0;
  for (data::Batch& batch : loader) {
    Tensor logits = model.forward(batch.input);
    loss_sum += cross_entropy(logits, batch.target).item() * static_cast<double>(batch.size());
    correct += count_correct(logits, batch.target);
    seen += batch.size();
    if (matrix != nullptr) matrix->update(logits, batch.target);
  }

  if (seen == 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, 0};
  }
  return {loss_sum / static_cast<double>(seen),
          static_cast<double>(correct) / static_cast<double>(seen), seen};
}

}  // namespace ember::train
