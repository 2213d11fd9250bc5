#pragma once

// Every optimizer and learning-rate scheduler of ember.

#include "optim/adadelta.h"
#include "optim/adagrad.h"
#include "optim/adam.h"
#include "optim/adamw.h"
#include "optim/cosine_annealing_lr.h"
#include "optim/lr_scheduler.h"
#include "optim/nadam.h"
#include "optim/one_cycle_lr.h"
#include "optim/optimizer.h"
#include "optim/optimizer_with_options.h"
#include "optim/radam.h"
#include "optim/reduce_lr_on_plateau.h"
#include "optim/rmsprop.h"
#include "optim/sgd.h"
