#include "data/image.h"

#include <stb_image.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "framework/error.h"

namespace ember::data {

Tensor read_image(const std::string& path, int channels) {
  EMBER_CHECK(channels >= 0 && channels <= 4, "read_image: channels must be 0 (as stored) or "
              "1-4, got ", channels);
  std::error_code error;
  EMBER_CHECK(std::filesystem::is_regular_file(path, error), "read_image: no such file: ", path);
  std::ifstream file(path, std::ios::binary);
  EMBER_CHECK(file.good(), "read_image: cannot open ", path);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>());
  EMBER_CHECK(static_cast<int64_t>(bytes.size()) <= INT32_MAX, "read_image: ", path,
              " is larger than the 2 GB stb_image can decode");

  int width = 0;
  int height = 0;
  int stored = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> pixels(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &width, &height,
                            &stored, channels),
      stbi_image_free);
  EMBER_CHECK(pixels != nullptr, "read_image: cannot decode ", path, ": ",
              stbi_failure_reason() ? stbi_failure_reason() : "unknown reason");

  // stb gives interleaved rows [H, W, C]; the tensor is planar [C, H, W].
  const int64_t c = channels == 0 ? stored : channels;
  const int64_t plane = int64_t{width} * height;
  Tensor image = empty({c, height, width}, kFloat32);
  float* out = image.data_ptr<float>();
  const unsigned char* in = pixels.get();
  for (int64_t p = 0; p < plane; ++p) {
    for (int64_t k = 0; k < c; ++k) out[k * plane + p] = in[p * c + k] / 255.0f;
  }
  return image;
}

}  // namespace ember::data
