// The IDX reader on real files: the committed Fashion-MNIST subset
// (tests/fixtures/fashion_mnist_2000, written by tools/make_fashion_subset.py,
// which printed the reference values below), and truncated or corrupt copies
// of it.

#include <catch2/catch.hpp>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/idx.h"
#include "data/mnist.h"
#include "data_test_helpers.h"
#include "helpers.h"

using ember::data::FashionMNIST;
using ember::data::Split;
using ember_test::ErrorMentions;
using ember_test::TempDir;

namespace {

const std::string kSubset = std::string(EMBER_FIXTURES_DIR) + "/fashion_mnist_2000";
const std::string kTestImages = "t10k-images-idx3-ubyte.gz";  // 500 images, 221,100 bytes

std::string subset_file(const std::string& name) { return kSubset + "/" + name; }

// The decompressed contents of a gzip file, read with zlib directly rather
// than through the reader under test.
std::vector<uint8_t> gunzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  REQUIRE(file != nullptr);
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  int got = 0;
  while ((got = gzread(file, buffer, sizeof buffer)) > 0) {
    bytes.insert(bytes.end(), buffer, buffer + got);
  }
  gzclose(file);
  REQUIRE(got == 0);
  return bytes;
}

int64_t sum(const std::vector<int64_t>& values) {
  int64_t total = 0;
  for (int64_t value : values) total += value;
  return total;
}

std::vector<int64_t> class_counts(const std::vector<int64_t>& labels) {
  std::vector<int64_t> counts(10);
  for (int64_t label : labels) ++counts.at(static_cast<size_t>(label));
  return counts;
}

std::vector<int64_t> first(const std::vector<int64_t>& values, size_t count) {
  return std::vector<int64_t>(values.begin(), values.begin() + static_cast<ptrdiff_t>(count));
}

}  // namespace

TEST_CASE("read_idx reads the committed Fashion-MNIST subset as the script wrote it", "[data]") {
  ember::data::IdxArray raw = ember::data::read_idx_raw(subset_file(kTestImages));
  ember::Tensor train_images = ember::data::read_idx(subset_file("train-images-idx3-ubyte.gz"));
  ember::Tensor train_labels = ember::data::read_idx(subset_file("train-labels-idx1-ubyte.gz"));
  ember::Tensor test_images = ember::data::read_idx(subset_file(kTestImages));
  ember::Tensor test_labels = ember::data::read_idx(subset_file("t10k-labels-idx1-ubyte.gz"));

  CHECK(raw.type == ember::data::IdxType::UInt8);
  CHECK(raw.shape == ember::Shape{500, 28, 28});
  CHECK(train_images.shape() == ember::Shape{2000, 28, 28});
  CHECK(train_labels.shape() == ember::Shape{2000});
  CHECK(test_images.shape() == ember::Shape{500, 28, 28});
  CHECK(test_labels.shape() == ember::Shape{500});

  std::vector<int64_t> pixels = train_images.to_vector<int64_t>();
  std::vector<int64_t> labels = train_labels.to_vector<int64_t>();
  CHECK(sum(pixels) == 113529887);
  CHECK(train_images[0].sum().item<int64_t>() == 76247);
  CHECK(train_images[1999].sum().item<int64_t>() == 49119);
  CHECK(first(labels, 10) == std::vector<int64_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5});
  CHECK(class_counts(labels) ==
        std::vector<int64_t>{194, 216, 202, 195, 186, 200, 194, 215, 198, 200});

  std::vector<int64_t> test_pixels = test_images.to_vector<int64_t>();
  std::vector<int64_t> test_targets = test_labels.to_vector<int64_t>();
  CHECK(sum(test_pixels) == 29494551);
  CHECK(test_images[0].sum().item<int64_t>() == 33456);
  CHECK(test_images[499].sum().item<int64_t>() == 70958);
  CHECK(first(test_targets, 10) == std::vector<int64_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7});
  CHECK(class_counts(test_targets) ==
        std::vector<int64_t>{55, 52, 65, 46, 57, 39, 47, 47, 44, 48});
}

TEST_CASE("FashionMNIST reads the committed subset directory as it reads the package's",
          "[data]") {
  FashionMNIST train(kSubset, Split::Train);
  FashionMNIST test(kSubset, Split::Test);

  REQUIRE(train.size() == 2000);
  REQUIRE(test.size() == 500);
  ember::data::Example first_train = train.get(0);
  CHECK(first_train.input.shape() == ember::Shape{1, 28, 28});
  CHECK(first_train.input.sum().item<double>() == Approx(76247 / 255.0).epsilon(1e-6));
  CHECK(first_train.target.item<int64_t>() == 9);
  CHECK(test.get(499).input.sum().item<double>() == Approx(70958 / 255.0).epsilon(1e-6));
}

TEST_CASE("the committed subset holds the first images of Debian's Fashion-MNIST", "[data]") {
  const std::string package = FashionMNIST::kDefaultRoot;
  if (!std::filesystem::exists(package)) {
    WARN("skipped: " << package << " is absent (dataset-fashion-mnist)");
    return;
  }

  // The test files are the smaller pair (4.4 MB compressed).
  std::vector<uint8_t> images = gunzip(package + "/" + kTestImages);
  std::vector<uint8_t> labels = gunzip(package + "/t10k-labels-idx1-ubyte.gz");
  std::vector<uint8_t> subset_images = gunzip(subset_file(kTestImages));
  std::vector<uint8_t> subset_labels = gunzip(subset_file("t10k-labels-idx1-ubyte.gz"));

  // Past the headers (16 and 8 bytes), the subset is a prefix of the package.
  REQUIRE(subset_images.size() == 16 + 500 * 784);
  REQUIRE(subset_labels.size() == 8 + 500);
  CHECK(std::equal(subset_images.begin() + 16, subset_images.end(), images.begin() + 16));
  CHECK(std::equal(subset_labels.begin() + 8, subset_labels.end(), labels.begin() + 8));
}

TEST_CASE("read_idx names the file when a copy of the subset is cut short", "[data]") {
  TempDir dir;
  std::vector<uint8_t> gz = ember_test::read_bytes(subset_file(kTestImages));
  std::vector<uint8_t> plain = gunzip(subset_file(kTestImages));
  REQUIRE(plain.size() == 16 + 500 * 784);

  SECTION("plain copies, cut inside the magic, the sizes and the pixels") {
    struct Cut {
      size_t length;
      std::string what;
    };
    auto cut = GENERATE(Cut{0, "too short for the 4-byte IDX magic"},
                        Cut{3, "too short for the 4-byte IDX magic"},
                        Cut{10, "truncated inside its header"},
                        Cut{16, "holds 0 bytes, 0 complete items"},
                        Cut{16 + 123 * 784 + 5, "holds 96437 bytes, 123 complete items"},
                        Cut{16 + 500 * 784 - 1, "holds 391999 bytes, 499 complete items"});
    std::string path = dir.file("cut_" + std::to_string(cut.length) + ".idx");
    ember_test::write_bytes(path, std::vector<uint8_t>(plain.begin(), plain.begin() +
                                                       static_cast<ptrdiff_t>(cut.length)));

    CHECK_THROWS_MATCHES(ember::data::read_idx(path), ember::Error,
                         ErrorMentions({"read_idx", path, "truncated", cut.what}));
  }
  SECTION("the gzip file cut inside its header and its deflate stream") {
    size_t length = GENERATE_COPY(size_t{2}, size_t{10}, size_t{1000}, gz.size() / 2);
    std::string path = dir.file("cut_" + std::to_string(length) + ".gz");
    ember_test::write_bytes(path, std::vector<uint8_t>(gz.begin(), gz.begin() +
                                                       static_cast<ptrdiff_t>(length)));

    CHECK_THROWS_MATCHES(ember::data::read_idx(path), ember::Error,
                         ErrorMentions({"read_idx", path}));
  }
  SECTION("a gzip file of a plain copy cut short says how many items it holds") {
    std::string path = dir.file("cut_then_gzip.gz");
    ember_test::write_gzip(path, std::vector<uint8_t>(plain.begin(), plain.end() - 784 * 100));

    CHECK_THROWS_MATCHES(ember::data::read_idx(path), ember::Error,
                         ErrorMentions({"read_idx", path, "truncated", "header says 500 items",
                                        "400 complete items"}));
  }
}

TEST_CASE("read_idx names the file when a copy of the subset is corrupt", "[data]") {
  TempDir dir;
  std::vector<uint8_t> gz = ember_test::read_bytes(subset_file(kTestImages));
  std::vector<uint8_t> plain = gunzip(subset_file(kTestImages));

  SECTION("a flipped IDX magic, plain or compressed") {
    struct Flip {
      size_t byte;
      std::string magic;
    };
    auto flip = GENERATE(Flip{0, "0xFF000803"}, Flip{1, "0x00FF0803"}, Flip{2, "0x0000F703"});
    bool gzip = GENERATE(false, true);
    std::vector<uint8_t> bad = plain;
    bad[flip.byte] ^= 0xFF;
    std::string path = dir.file(gzip ? "flipped.idx.gz" : "flipped.idx");
    (gzip ? ember_test::write_gzip : ember_test::write_bytes)(path, bad);

    CHECK_THROWS_MATCHES(ember::data::read_idx(path), ember::Error,
                         ErrorMentions({"read_idx", path, "not an IDX file",
                                        "wrong magic number " + flip.magic}));
  }
  SECTION("a flipped gzip magic leaves bytes that are not IDX either") {
    std::vector<uint8_t> bad = gz;
    bad[0] ^= 0xFF;  // 1F 8B 08 00 -> E0 8B 08 00
    ember_test::write_bytes(dir.file("flipped_gzip.gz"), bad);

    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("flipped_gzip.gz")), ember::Error,
                         ErrorMentions({"flipped_gzip.gz", "wrong magic number 0xE08B0800"}));
  }
  SECTION("a rank byte of 2 leaves most of the pixels after the data") {
    std::vector<uint8_t> bad = plain;
    bad[3] = 2;  // [500, 28]: 14,000 of the 392,000 bytes
    ember_test::write_bytes(dir.file("rank.idx"), bad);

    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("rank.idx")), ember::Error,
                         ErrorMentions({"rank.idx", "bytes after the 14000 bytes"}));
  }
  SECTION("deflate data with flipped bits") {
    std::vector<uint8_t> bad = gz;
    for (size_t i = 1000; i < 1100; ++i) bad[i] ^= 0xA5;
    ember_test::write_bytes(dir.file("corrupt.gz"), bad);

    CHECK_THROWS_MATCHES(ember::data::read_idx(dir.file("corrupt.gz")), ember::Error,
                         ErrorMentions({"read_idx", "corrupt.gz"}));
  }
  SECTION("a label outside 0-9 in a copy of the subset directory") {
    std::filesystem::copy_file(subset_file(kTestImages), dir.file(kTestImages));
    std::vector<uint8_t> labels = gunzip(subset_file("t10k-labels-idx1-ubyte.gz"));
    labels[8 + 7] = 10;
    ember_test::write_gzip(dir.file("t10k-labels-idx1-ubyte.gz"), labels);

    CHECK_THROWS_MATCHES(FashionMNIST(dir.path().string(), Split::Test), ember::Error,
                         ErrorMentions({"t10k-labels-idx1-ubyte.gz", "label 10 at index 7",
                                        "outside 0-9"}));
  }
}

// A gzip file that ends inside its 8-byte trailer (CRC-32 and length) still
// holds every pixel; read_idx must refuse it all the same, since the CRC could
// not be checked.
TEST_CASE("read_idx rejects a gzip file cut inside its trailer", "[data]") {
  TempDir dir;
  std::vector<uint8_t> gz = ember_test::read_bytes(subset_file(kTestImages));
  size_t length = GENERATE_COPY(gz.size() - 8, gz.size() - 1);
  std::string path = dir.file("cut_" + std::to_string(length) + ".gz");
  ember_test::write_bytes(path, std::vector<uint8_t>(gz.begin(), gz.begin() +
                                                     static_cast<ptrdiff_t>(length)));

  CHECK_THROWS_MATCHES(ember::data::read_idx(path), ember::Error,
                       ErrorMentions({"read_idx", path, "truncated"}));
}
