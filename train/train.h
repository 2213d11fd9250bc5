#pragma once

// ember::train: what a training loop needs around the model and optimizer
// (metrics, early stopping, a progress bar, a CSV log and checkpoints), and
// the tools that train many models: fit on tensors, Bagging, Boosting,
// k-fold cross-validation and the bias-variance decomposition.

#include "train/bagging.h"
#include "train/bias_variance.h"
#include "train/boosting.h"
#include "train/checkpoint.h"
#include "train/cross_validation.h"
#include "train/csv_logger.h"
#include "train/early_stopping.h"
#include "train/evaluate.h"
#include "train/fit.h"
#include "train/metrics.h"
#include "train/progress_bar.h"
