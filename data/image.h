#pragma once

#include <string>

#include "framework/tensor.h"

namespace ember::data {

// Decodes a PNG, JPEG, BMP, GIF (first frame), TGA, PSD, PNM or HDR file
// through stb_image into float32 [C, H, W] scaled to [0, 1] (bytes / 255), as
// torchvision's ToTensor. `channels` 0 keeps the file's count; 1 (gray),
// 2 (gray, alpha), 3 (RGB) or 4 (RGBA) converts to that count.
// Limitation: 16-bit PNGs are reduced to 8 bits per channel by stb.
// Throws ember::Error naming the file when it is missing, unreadable or not a
// decodable image (with stb's reason), or for a channel count outside 0-4.
Tensor read_image(const std::string& path, int channels = 0);

}  // namespace ember::data
