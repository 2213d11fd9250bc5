#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace ember::data {

// Which half of MNIST-style data to load.
enum class Split { Train, Test };

// MNIST as torchvision.datasets.MNIST: the IDX files
//   train-images-idx3-ubyte, train-labels-idx1-ubyte   (Split::Train)
//   t10k-images-idx3-ubyte,  t10k-labels-idx1-ubyte    (Split::Test)
// in `root`, each plain or gzip-compressed (".gz" appended). Images are kept
// as bytes; get(i) returns input float32 [1, 28, 28] scaled to [0, 1] and
// target a 0-d int64 label in 0-9.
// Throws ember::Error naming the file when one is missing, not IDX, truncated,
// of the wrong type or rank, when a label is outside 0-9, or when the images
// and labels differ in count.
class MNIST : public Dataset {
 public:
  explicit MNIST(const std::string& root, Split split = Split::Train);

  int64_t size() const override { return static_cast<int64_t>(labels_->size()); }
  Example get(int64_t index) const override;

  // Every label, int64 [N] (for stratified splits and class counts).
  Tensor targets() const;
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }

 protected:
  // `name` heads error messages; `hint` says where the files come from.
  MNIST(const std::string& root, Split split, const char* name, const char* hint);

 private:
  std::string name_;
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  // Shared, so copies of the dataset (and the loader's) cost nothing.
  std::shared_ptr<const std::vector<uint8_t>> images_;
  std::shared_ptr<const std::vector<uint8_t>> labels_;
};

// Fashion-MNIST (Xiao et al., 2017): the same layout and file names as MNIST,
// ten clothing classes. Debian's dataset-fashion-mnist package installs the
// files in kDefaultRoot.
class FashionMNIST : public MNIST {
 public:
  static constexpr const char* kDefaultRoot = "/usr/share/datasets/fashion-mnist";
  // The class names, by label.
  static const std::array<const char*, 10> kClasses;

  explicit FashionMNIST(const std::string& root = kDefaultRoot, Split split = Split::Train);
};

}  // namespace ember::data
