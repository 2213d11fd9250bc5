#pragma once

// ember::data: datasets, readers, the parallel loader, samplers, splits,
// transforms and batch augmentation.

#include "data/batch_transforms.h"
#include "data/bootstrap.h"
#include "data/collate.h"
#include "data/concat_dataset.h"
#include "data/csv.h"
#include "data/data_loader.h"
#include "data/dataset.h"
#include "data/example.h"
#include "data/idx.h"
#include "data/image.h"
#include "data/image_folder.h"
#include "data/kfold.h"
#include "data/mnist.h"
#include "data/random_split.h"
#include "data/sampler.h"
#include "data/subset.h"
#include "data/tensor_dataset.h"
#include "data/transform.h"
#include "data/transform_dataset.h"
#include "data/transforms.h"
