#pragma once

// ember::train: what a training loop needs around the model and optimizer:
// metrics, early stopping, a progress bar, a CSV log and checkpoints.

#include "train/checkpoint.h"
#include "train/csv_logger.h"
#include "train/early_stopping.h"
#include "train/metrics.h"
#include "train/progress_bar.h"
