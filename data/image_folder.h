#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace ember::data {

struct ImageFolderOptions {
  // 0 keeps each file's channel count; 1-4 converts every image to it (needed
  // to batch a folder that mixes gray and colour files).
  int channels = 0;
  // File endings taken as images, compared without regard to case.
  std::vector<std::string> extensions = {".png", ".jpg", ".jpeg", ".bmp"};
};

// Images in one sub-folder per class, as torchvision.datasets.ImageFolder:
//   root/cat/1.png, root/dog/a.jpg, ...
// Classes are the sub-folder names in sorted order, numbered from 0; files
// with other endings are skipped; examples are sorted by class, then path.
// get(i) decodes the file (read_image): input float32 [C, H, W] in [0, 1],
// target the 0-d int64 class index.
// Throws ember::Error when root is not a directory, has no class folders or a
// class folder holds no image; get() throws naming an unreadable image.
class ImageFolder : public Dataset {
 public:
  explicit ImageFolder(const std::string& root, ImageFolderOptions options = {});

  int64_t size() const override { return static_cast<int64_t>(paths_.size()); }
  Example get(int64_t index) const override;

  const std::vector<std::string>& classes() const { return classes_; }
  const std::string& path(int64_t index) const { return paths_.at(index); }
  // Every class index, int64 [N].
  Tensor targets() const;

 private:
  ImageFolderOptions options_;
  std::vector<std::string> classes_;
  std::vector<std::string> paths_;
  std::vector<int64_t> labels_;
};

}  // namespace ember::data
