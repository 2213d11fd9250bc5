#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/data_loader.h"
#include "data/image.h"
#include "data/image_folder.h"
#include "data_test_helpers.h"
#include "helpers.h"

using ember::data::ImageFolder;
using ember_test::ErrorMentions;
using ember_test::TempDir;

namespace {

// tests/fixtures/images, made by tools/make_data_fixtures.py.
const std::string kImages = std::string(EMBER_FIXTURES_DIR) + "/images";

}  // namespace

TEST_CASE("read_image decodes PNG to float32 [C, H, W] in [0, 1]", "[data]") {
  ember::Tensor rgb = ember::data::read_image(kImages + "/bars/a.png");
  ember::Tensor gray = ember::data::read_image(kImages + "/bars/b.png");
  ember::Tensor gray_as_rgb = ember::data::read_image(kImages + "/bars/b.png", 3);

  REQUIRE(rgb.shape() == ember::Shape{3, 3, 4});
  // Pixel (x, y) = (40x, 60y, 200); element [c, y, x].
  std::vector<float> values = rgb.to_vector<float>();
  CHECK(values[0 * 12 + 1 * 4 + 3] == 120 / 255.0f);
  CHECK(values[1 * 12 + 2 * 4 + 0] == 120 / 255.0f);
  CHECK(values[2 * 12 + 0 * 4 + 2] == 200 / 255.0f);
  REQUIRE(gray.shape() == ember::Shape{1, 3, 4});
  CHECK(gray.to_vector<float>()[2 * 4 + 3] == 130 / 255.0f);
  CHECK(gray_as_rgb.shape() == ember::Shape{3, 3, 4});
}

TEST_CASE("read_image decodes JPEG approximately", "[data]") {
  ember::Tensor red = ember::data::read_image(kImages + "/bars/c.jpg");

  REQUIRE(red.shape() == ember::Shape{3, 3, 4});
  CHECK(red.select(0, 0).mean().item<double>() == Approx(1.0).margin(0.03));
  CHECK(red.select(0, 2).mean().item<double>() == Approx(0.0).margin(0.03));
}

TEST_CASE("ImageFolder numbers sorted class folders and skips other files", "[data]") {
  ImageFolder folder(kImages, {.channels = 3});

  CHECK(folder.classes() == std::vector<std::string>{"bars", "dots"});
  REQUIRE(folder.size() == 4);
  CHECK(folder.targets().to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0, 1});
  CHECK(std::filesystem::path(folder.path(3)).filename() == "d.png");
  ember::data::Example dot = folder.get(3);
  CHECK(dot.input.shape() == ember::Shape{3, 3, 4});
  CHECK(dot.target.item<int64_t>() == 1);
  // RGBA (x, y, 255, 128) as RGB drops alpha: channel 1 at (x=1, y=2) is 2.
  CHECK(dot.input.to_vector<float>()[12 + 2 * 4 + 1] == 2 / 255.0f);
}

TEST_CASE("ImageFolder with a fixed channel count batches mixed files", "[data]") {
  ember::data::DataLoader loader(ImageFolder(kImages, {.channels = 1}),
                                 {.batch_size = 4, .seed = 0});

  ember::data::Batch batch = *loader.begin();

  CHECK(batch.input.shape() == ember::Shape{4, 1, 3, 4});
  CHECK(batch.target.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0, 1});
}

TEST_CASE("ImageFolder names a bad root, an empty class and an unreadable image", "[data]") {
  TempDir dir;

  CHECK_THROWS_MATCHES(ImageFolder(dir.file("absent")), ember::Error,
                       ErrorMentions({"ImageFolder", "absent", "not a directory"}));
  CHECK_THROWS_MATCHES(ImageFolder(dir.path().string()), ember::Error,
                       ErrorMentions({"ImageFolder", "no sub-folders"}));
  std::filesystem::create_directories(dir.path() / "empty");
  CHECK_THROWS_MATCHES(ImageFolder(dir.path().string()), ember::Error,
                       ErrorMentions({"ImageFolder", "empty", "no image files"}));

  ember_test::write_text(dir.file("empty/broken.png"), "this is not a png");
  ImageFolder folder(dir.path().string());
  CHECK_THROWS_MATCHES(folder.get(0), ember::Error,
                       ErrorMentions({"ImageFolder", "cannot decode", "broken.png"}));
  CHECK_THROWS_MATCHES(ember::data::read_image(dir.file("none.png")), ember::Error,
                       ErrorMentions({"read_image", "no such file", "none.png"}));
  CHECK_THROWS_MATCHES(ember::data::read_image(kImages + "/bars/a.png", 5), ember::Error,
                       ErrorMentions({"read_image", "channels"}));
}
