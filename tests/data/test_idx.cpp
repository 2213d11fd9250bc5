#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/idx.h"
#include "data/mnist.h"
#include "data/tensor_dataset.h"
#include "data_test_helpers.h"
#include "helpers.h"

using ember::data::FashionMNIST;
using ember::data::MNIST;
using ember::data::Split;
using ember_test::ErrorMentions;
using ember_test::TempDir;

namespace {

// Three 2x2 "images" 0..11 and their labels 7, 0, 9.
std::vector<uint8_t> tiny_images() {
  std::vector<uint8_t> pixels(12);
  for (int i = 0; i < 12; ++i) pixels[i] = static_cast<uint8_t>(i * 20);
  return ember_test::idx_bytes(0x08, {3, 2, 2}, pixels);
}
std::vector<uint8_t> tiny_labels() { return ember_test::idx_bytes(0x08, {3}, {7, 0, 9}); }

void write_tiny_mnist(const TempDir& dir, bool gzip) {
  auto put = gzip ? ember_test::write_gzip : ember_test::write_bytes;
  std::string suffix = gzip ? ".gz" : "";
  put(dir.file("train-images-idx3-ubyte" + suffix), tiny_images());
  put(dir.file("train-labels-idx1-ubyte" + suffix), tiny_labels());
}

}  // namespace

TEST_CASE("read_idx reads plain and gzip files alike into the header's shape", "[data]") {
  TempDir dir;
  bool gzip = GENERATE(false, true);
  std::string path = dir.file(gzip ? "x.idx.gz" : "x.idx");
  (gzip ? ember_test::write_gzip : ember_test::write_bytes)(path, tiny_images());

  ember::Tensor images = ember::data::read_idx(path);

  CHECK(images.shape() == ember::Shape{3, 2, 2});
  CHECK(images.dtype() == ember::kInt64);
  CHECK(images.to_vector<int64_t>() ==
        std::vector<int64_t>{0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220});
}

TEST_CASE("read_idx converts big-endian multi-byte types and honours a dtype", "[data]") {
  TempDir dir;
  // int16 -2 and 258; int32 -70000; float 1.5; double -0.25.
  ember_test::write_bytes(dir.file("s.idx"), ember_test::idx_bytes(0x0B, {2}, {0xFF, 0xFE, 1, 2}));
  ember_test::write_bytes(dir.file("i.idx"),
                          ember_test::idx_bytes(0x0C, {1}, {0xFF, 0xFE, 0xEE, 0x90}));
  ember_test::write_bytes(dir.file("f.idx"), ember_test::idx_bytes(0x0D, {1}, {0x3F, 0xC0, 0, 0}));
  ember_test::write_bytes(dir.file("d.idx"),
                          ember_test::idx_bytes(0x0E, {1}, {0xBF, 0xD0, 0, 0, 0, 0, 0, 0}));
  ember_test::write_bytes(dir.file("b.idx"), ember_test::idx_bytes(0x09, {2}, {0xFF, 0x05}));

  CHECK(ember::data::read_idx(dir.file("s.idx")).to_vector<int64_t>() ==
        std::vector<int64_t>{-2, 258});
  CHECK(ember::data::read_idx(dir.file("i.idx")).item<int64_t>() == -70000);
  ember::Tensor f = ember::data::read_idx(dir.file("f.idx"));
  CHECK(f.dtype() == ember::kFloat32);
  CHECK(f.item<float>() == 1.5f);
  ember::Tensor d = ember::data::read_idx(dir.file("d.idx"));
  CHECK(d.dtype() == ember::kFloat64);
  CHECK(d.item<double>() == -0.25);
  CHECK(ember::data::read_idx(dir.file("b.idx"), ember::kFloat32).to_vector<float>() ==
        std::vector<float>{-1.0f, 5.0f});
}

TEST_CASE("read_idx names the file and what is wrong with it", "[data]") {
  TempDir dir;
  std::vector<uint8_t> good = tiny_images();

  SECTION("missing") {
    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("absent.idx")), ember::Error,
                         ErrorMentions({"read_idx", "no such file", "absent.idx"}));
  }
  SECTION("wrong magic") {
    std::vector<uint8_t> bad = good;
    bad[0] = 0x12;
    ember_test::write_bytes(dir.file("bad.idx"), bad);
    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("bad.idx")), ember::Error,
                         ErrorMentions({"bad.idx", "wrong magic number 0x12000803"}));
  }
  SECTION("unknown type code") {
    std::vector<uint8_t> bad = good;
    bad[2] = 0x0A;
    ember_test::write_bytes(dir.file("type.idx"), bad);
    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("type.idx")), ember::Error,
                         ErrorMentions({"type.idx", "wrong magic number 0x00000A03"}));
  }
  SECTION("truncated data, plain and gzip") {
    std::vector<uint8_t> cut(good.begin(), good.end() - 5);
    ember_test::write_bytes(dir.file("cut.idx"), cut);
    ember_test::write_gzip(dir.file("cut.idx.gz"), cut);
    for (const char* name : {"cut.idx", "cut.idx.gz"}) {
      CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file(name)), ember::Error,
                           ErrorMentions({name, "truncated", "header says 3 items",
                                          "holds 7 bytes, 1 complete items"}));
    }
  }
  SECTION("truncated gzip stream") {
    ember_test::write_gzip(dir.file("whole.gz"), good);
    std::vector<uint8_t> gz = ember_test::read_bytes(dir.file("whole.gz"));
    gz.resize(gz.size() / 2);
    ember_test::write_bytes(dir.file("half.gz"), gz);
    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("half.gz")), ember::Error,
                         ErrorMentions({"half.gz"}));
  }
  SECTION("corrupt gzip stream") {
    std::vector<uint8_t> big(4000);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
    ember_test::write_gzip(dir.file("whole.gz"), ember_test::idx_bytes(0x08, {4000}, big));
    std::vector<uint8_t> gz = ember_test::read_bytes(dir.file("whole.gz"));
    for (size_t i = 12; i < gz.size() - 8; i += 3) gz[i] ^= 0x5A;
    ember_test::write_bytes(dir.file("corrupt.gz"), gz);
    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("corrupt.gz")), ember::Error,
                         ErrorMentions({"read_idx", "corrupt.gz"}));
  }
  SECTION("truncated header") {
    ember_test::write_bytes(dir.file("short.idx"), {0, 0, 8, 3, 0, 0});
    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("short.idx")), ember::Error,
                         ErrorMentions({"short.idx", "truncated inside its header"}));
  }
  SECTION("extra bytes after the data") {
    std::vector<uint8_t> longer = good;
    longer.push_back(1);
    ember_test::write_bytes(dir.file("long.idx"), longer);
    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("long.idx")), ember::Error,
                         ErrorMentions({"long.idx", "bytes after"}));
  }
  SECTION("a header announcing terabytes fails as truncated, not by allocating them") {
    ember_test::write_bytes(dir.file("huge.idx"),
                            ember_test::idx_bytes(0x0E, {0xFFFFFFFF, 0xFFFFFF}, {1, 2, 3}));
    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("huge.idx")), ember::Error,
                         ErrorMentions({"huge.idx", "truncated"}));
  }
}

TEST_CASE("MNIST reads images as float32 [1, H, W] in [0, 1] and int64 labels", "[data]") {
  TempDir dir;
  bool gzip = GENERATE(false, true);
  write_tiny_mnist(dir, gzip);

  MNIST mnist(dir.path().string(), Split::Train);
  ember::data::Example second = mnist.get(1);

  REQUIRE(mnist.size() == 3);
  CHECK(second.input.shape() == ember::Shape{1, 2, 2});
  CHECK(second.input.dtype() == ember::kFloat32);
  CHECK(second.input.to_vector<float>() ==
        std::vector<float>{80 / 255.0f, 100 / 255.0f, 120 / 255.0f, 140 / 255.0f});
  CHECK(second.target.dim() == 0);
  CHECK(second.target.dtype() == ember::kInt64);
  CHECK(second.target.item<int64_t>() == 0);
  CHECK(mnist.targets().to_vector<int64_t>() == std::vector<int64_t>{7, 0, 9});
  CHECK_THROWS_MATCHES(mnist.get(3), ember::Error, ErrorMentions({"MNIST", "index 3"}));
}

TEST_CASE("MNIST datasets name the missing or inconsistent file", "[data]") {
  TempDir dir;

  SECTION("missing files say where Fashion-MNIST comes from") {
    CHECK_THROWS_MATCHES(FashionMNIST(dir.path().string(), Split::Test), ember::Error,
                         ErrorMentions({"FashionMNIST", "t10k-images-idx3-ubyte",
                                        "dataset-fashion-mnist",
                                        "/usr/share/datasets/fashion-mnist",
                                        "pass the directory"}));
  }
  SECTION("a label outside 0-9") {
    write_tiny_mnist(dir, false);
    ember_test::write_bytes(dir.file("train-labels-idx1-ubyte"),
                            ember_test::idx_bytes(0x08, {3}, {1, 12, 3}));
    CHECK_THROWS_MATCHES(MNIST(dir.path().string()), ember::Error,
                         ErrorMentions({"train-labels-idx1-ubyte", "label 12 at index 1",
                                        "outside 0-9"}));
  }
  SECTION("image and label counts differ") {
    write_tiny_mnist(dir, false);
    ember_test::write_bytes(dir.file("train-labels-idx1-ubyte"),
                            ember_test::idx_bytes(0x08, {2}, {1, 2}));
    CHECK_THROWS_MATCHES(MNIST(dir.path().string()), ember::Error,
                         ErrorMentions({"train-images-idx3-ubyte", "3 images",
                                        "train-labels-idx1-ubyte", "2 labels"}));
  }
  SECTION("labels of the wrong type") {
    write_tiny_mnist(dir, false);
    ember_test::write_bytes(dir.file("train-labels-idx1-ubyte"),
                            ember_test::idx_bytes(0x0C, {1}, {0, 0, 0, 1}));
    CHECK_THROWS_MATCHES(MNIST(dir.path().string()), ember::Error,
                         ErrorMentions({"train-labels-idx1-ubyte", "int data",
                                        "expected unsigned byte"}));
  }
  SECTION("a truncated image file") {
    write_tiny_mnist(dir, true);
    std::vector<uint8_t> images = tiny_images();
    images.resize(images.size() - 4);
    ember_test::write_gzip(dir.file("train-images-idx3-ubyte.gz"), images);
    CHECK_THROWS_MATCHES(MNIST(dir.path().string()), ember::Error,
                         ErrorMentions({"train-images-idx3-ubyte.gz", "truncated"}));
  }
}

TEST_CASE("Fashion-MNIST from Debian's package has 60000 + 10000 labelled images", "[data]") {
  if (!std::filesystem::exists(FashionMNIST::kDefaultRoot)) {
    WARN("skipped: " << FashionMNIST::kDefaultRoot << " is absent (dataset-fashion-mnist)");
    return;
  }

  FashionMNIST train;
  FashionMNIST test(FashionMNIST::kDefaultRoot, Split::Test);

  REQUIRE(train.size() == 60000);
  REQUIRE(test.size() == 10000);
  // Reference values read from the .gz files with Python's gzip module.
  std::vector<int64_t> first_train = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
  std::vector<int64_t> first_test = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
  std::vector<int64_t> train_labels = train.targets().to_vector<int64_t>();
  std::vector<int64_t> test_labels = test.targets().to_vector<int64_t>();
  CHECK(std::vector<int64_t>(train_labels.begin(), train_labels.begin() + 10) == first_train);
  CHECK(std::vector<int64_t>(test_labels.begin(), test_labels.begin() + 10) == first_test);
  for (int64_t label = 0; label < 10; ++label) {
    CHECK(std::count(train_labels.begin(), train_labels.end(), label) == 6000);
  }
  ember::data::Example first = train.get(0);
  CHECK(first.input.shape() == ember::Shape{1, 28, 28});
  CHECK(first.input.sum().item<double>() == Approx(76247 / 255.0).epsilon(1e-6));
  CHECK(first.input.to_vector<float>()[404] == 237 / 255.0f);
  CHECK(test.get(0).input.sum().item<double>() == Approx(33456 / 255.0).epsilon(1e-6));
}
