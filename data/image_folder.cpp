#include "data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "data/image.h"
#include "framework/error.h"

namespace ember::data {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool has_extension(const std::filesystem::path& path, const std::vector<std::string>& endings) {
  std::string name = lower(path.filename().string());
  return std::any_of(endings.begin(), endings.end(), [&](const std::string& ending) {
    std::string wanted = lower(ending);
    return name.size() > wanted.size() &&
           name.compare(name.size() - wanted.size(), wanted.size(), wanted) == 0;
  });
}

}  // namespace

ImageFolder::ImageFolder(const std::string& root, ImageFolderOptions options)
    : options_(std::move(options)) {
  namespace fs = std::filesystem;
  EMBER_CHECK(options_.channels >= 0 && options_.channels <= 4, "ImageFolder: channels must be "
              "0 (as stored) or 1-4, got ", options_.channels);
  std::error_code error;
  EMBER_CHECK(fs::is_directory(root, error), "ImageFolder: ", root, " is not a directory");

  for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
    if (entry.is_directory()) classes_.push_back(entry.path().filename().string());
  }
  std::sort(classes_.begin(), classes_.end());
  EMBER_CHECK(!classes_.empty(), "ImageFolder: ", root, " has no sub-folders; expected one "
              "folder of images per class");

  for (size_t label = 0; label < classes_.size(); ++label) {
    std::vector<std::string> files;
    for (const fs::directory_entry& entry :
         fs::recursive_directory_iterator(fs::path(root) / classes_[label])) {
      if (entry.is_regular_file() && has_extension(entry.path(), options_.extensions)) {
        files.push_back(entry.path().string());
      }
    }
    EMBER_CHECK(!files.empty(), "ImageFolder: class folder ",
                (fs::path(root) / classes_[label]).string(), " holds no image files");
    std::sort(files.begin(), files.end());
    for (std::string& file : files) {
      paths_.push_back(std::move(file));
      labels_.push_back(static_cast<int64_t>(label));
    }
  }
}

Example ImageFolder::get(int64_t index) const {
  EMBER_CHECK(index >= 0 && index < size(), "ImageFolder: index ", index,
              " is out of range for ", size(), " images");
  Tensor image;
  try {
    image = read_image(paths_[index], options_.channels);
  } catch (const Error& e) {
    ember::detail::throw_error("ImageFolder: image ", index, " (class \"",
                               classes_[labels_[index]], "\"): ", e.what());
  }
  return {image, scalar_tensor(static_cast<double>(labels_[index]), kInt64)};
}

Tensor ImageFolder::targets() const { return ember::tensor(labels_, {size()}, kInt64); }

}  // namespace ember::data
