#pragma once

// Everything a program needs from ember.

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/blas.h"
#include "framework/config.h"
#include "framework/error.h"
#include "framework/gradcheck.h"
#include "framework/log.h"
#include "framework/parallel.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/linalg.h"
#include "ops/pooling.h"
#include "ops/reduce.h"
