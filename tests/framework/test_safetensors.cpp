// Safetensors checkpoints: round trips of every dtype, shape and layout, atomic
// writes that leave the previous file intact on failure, a reader that refuses
// every malformed header with an error naming the file and the rule, files
// written by PyTorch (tools/make_safetensors_fixtures.py), the file ember
// writes for PyTorch to read, generator state, and the fuzzer's findings.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/generator_state.h"
#include "framework/random.h"
#include "framework/safetensors.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "parity/fixture_reader.h"

using ember::Shape;
using ember::StateDict;
using ember::Tensor;
using ember_test::ErrorMentions;
namespace fs = std::filesystem;

namespace {

const std::string kFixtureDir = std::string(EMBER_FIXTURES_DIR) + "/safetensors";

bool same_bytes(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  Tensor x = a.contiguous();
  Tensor y = b.contiguous();
  size_t bytes = static_cast<size_t>(x.numel()) * ember::element_size(x.dtype());
  return bytes == 0 || std::memcmp(x.raw_data(), y.raw_data(), bytes) == 0;
}

// Keys in order, metadata, and every tensor's dtype, shape and bytes.
void check_same(const StateDict& actual, const StateDict& expected) {
  REQUIRE(actual.keys() == expected.keys());
  CHECK(actual.metadata() == expected.metadata());
  for (const auto& [key, tensor] : expected) {
    INFO("tensor " << key << ": " << actual.at(key) << " vs expected " << tensor);
    CHECK(same_bytes(actual.at(key), tensor));
  }
}

StateDict parse(const std::string& bytes) {
  return ember::parse_safetensors(bytes.data(), bytes.size(), "buffer");
}

// A file image: the 8-byte length (the header's own unless given), the
// header text and the data bytes.
std::string image(const std::string& header, const std::string& data = "",
                  std::optional<uint64_t> length = std::nullopt) {
  uint64_t n = length.value_or(header.size());
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &n, 8);
  return bytes + header + data;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// A fresh directory, removed with everything in it at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ember_st_XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { fs::remove_all(path); }

  std::vector<std::string> names() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(path)) {
      found.push_back(entry.path().filename());
    }
    std::sort(found.begin(), found.end());
    return found;
  }
};

Tensor mask(const std::vector<int64_t>& bits, const Shape& shape) {
  return ember::tensor(bits, shape).to(ember::kBool);
}

// One tensor of every dtype and several shapes, including 0-d and empty ones.
StateDict every_dtype_and_shape() {
  StateDict dict;
  ember::Generator generator(7);
  for (const Shape& shape : {Shape{}, Shape{0}, Shape{3}, Shape{2, 3}, Shape{2, 0, 3},
                             Shape{1, 2, 3, 2}}) {
    std::string tag = ember::format_shape(shape);
    dict.insert("f32" + tag, ember::randn(shape, ember::kFloat32, &generator));
    dict.insert("f64" + tag, ember::randn(shape, ember::kFloat64, &generator));
    dict.insert("i64" + tag, ember::randint(-1000, 1000, shape, ember::kInt64, &generator));
    dict.insert("bool" + tag, ember::randint(0, 2, shape, ember::kInt64, &generator)
                                  .to(ember::kBool));
  }
  return dict;
}

// Restores the file-size limit and the SIGXFSZ disposition when it goes.
struct FileSizeLimit {
  rlimit saved{};
  struct sigaction saved_action {};
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &ignore, &saved_action);  // writes past the limit fail with EFBIG
    rlimit lowered = saved;
    lowered.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved);
    sigaction(SIGXFSZ, &saved_action, nullptr);
  }
};

}  // namespace

// ---- round trips ----

TEST_CASE("safetensors round trips every dtype and shape bit for bit", "[serialization]") {
  StateDict dict = every_dtype_and_shape();
  TempDir dir;
  fs::path path = dir.path / "all.safetensors";

  std::string bytes = ember::serialize_safetensors(dict);
  ember::save_safetensors(dict, path);

  check_same(parse(bytes), dict);
  check_same(ember::load_safetensors(path), dict);
  CHECK(read_file(path) == bytes);
  CHECK(dir.names() == std::vector<std::string>{"all.safetensors"});
}

TEST_CASE("safetensors keeps special float values and int64 extremes exactly",
          "[serialization]") {
  StateDict dict;
  float inf = std::numeric_limits<float>::infinity();
  dict.insert("f32", ember::tensor(std::vector<float>{inf, -inf, std::nanf(""), -0.0f,
                                                      std::numeric_limits<float>::denorm_min()}));
  dict.insert("i64", ember::tensor(std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1,
                                                        std::numeric_limits<int64_t>::max()}));

  StateDict loaded = parse(ember::serialize_safetensors(dict));

  check_same(loaded, dict);
}

TEST_CASE("safetensors writes non-contiguous tensors as their contiguous values",
          "[serialization]") {
  Tensor base = ember::arange(0, 24, 1, ember::kFloat64).reshape({4, 6});
  StateDict dict;
  dict.insert("transposed", base.t());
  dict.insert("strided", base.slice(1, 1, 6, 2));
  dict.insert("narrowed", base.narrow(0, 1, 2));  // contiguous rows at an offset
  dict.insert("expanded", ember::arange(0, 3, 1, ember::kInt64).expand({2, 3}));
  dict.insert("permuted", base.reshape({2, 3, 4}).permute({2, 0, 1}));

  StateDict loaded = parse(ember::serialize_safetensors(dict));

  REQUIRE(loaded.keys() == dict.keys());
  for (const auto& [key, tensor] : dict) {
    INFO(key);
    CHECK(loaded.at(key).is_contiguous());
    CHECK(loaded.at(key).offset() == 0);
    CHECK(same_bytes(loaded.at(key), tensor));
  }
}

TEST_CASE("safetensors saves tensors that require grad as detached data", "[serialization]") {
  Tensor weight = ember::tensor({0.5f, -0.25f}).requires_grad_(true);
  Tensor scaled = weight * 2.0;  // a non-leaf with history
  StateDict dict;
  dict.insert("weight", weight);
  dict.insert("scaled", scaled);

  StateDict loaded = parse(ember::serialize_safetensors(dict));

  CHECK_FALSE(loaded.at("weight").requires_grad());
  CHECK_FALSE(loaded.at("scaled").requires_grad());
  CHECK(loaded.at("scaled").to_vector<float>() == std::vector<float>{1.0f, -0.5f});
  CHECK(weight.requires_grad());
}

TEST_CASE("safetensors keeps metadata and the order tensors were saved in", "[serialization]") {
  StateDict dict;
  for (const char* key : {"zeta", "alpha", "mid.weight", "0.bias", "__not_metadata"}) {
    dict.insert(key, ember::ones({2}));
  }
  dict.metadata()["format"] = "pt";
  dict.metadata()["note"] = "unicode \xc3\xa9 and \"quotes\" and \\ and\nnewline";
  dict.metadata()["empty"] = "";

  StateDict loaded = parse(ember::serialize_safetensors(dict));

  check_same(loaded, dict);
}

TEST_CASE("safetensors pads the header with spaces so the data starts 8-byte aligned",
          "[serialization]") {
  for (int length = 1; length <= 9; ++length) {
    StateDict dict;
    dict.insert(std::string(static_cast<size_t>(length), 'k'), ember::ones({1}));

    std::string bytes = ember::serialize_safetensors(dict);

    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    CHECK(n % 8 == 0);
    CHECK(bytes[8] == '{');
    std::string header = bytes.substr(8, n);
    size_t close = header.find_last_of('}');
    CHECK(header.find_first_not_of(' ', close + 1) == std::string::npos);
    CHECK(bytes.size() == 8 + n + 4);
  }
}

TEST_CASE("an empty StateDict saves and loads", "[serialization]") {
  StateDict loaded = parse(ember::serialize_safetensors(StateDict()));

  CHECK(loaded.empty());
  CHECK(loaded.metadata().empty());
}

// ---- atomic writes ----

TEST_CASE("save_safetensors replaces the previous file and leaves no temporary file",
          "[serialization]") {
  TempDir dir;
  fs::path path = dir.path / "model.safetensors";
  StateDict first, second;
  first.insert("w", ember::zeros({3}));
  second.insert("w", ember::ones({5}));
  second.insert("b", ember::ones({1}, ember::kFloat64));

  ember::save_safetensors(first, path);
  ember::save_safetensors(second, path);

  check_same(ember::load_safetensors(path), second);
  CHECK(dir.names() == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("a save that fails mid-write leaves the previous file intact", "[serialization]") {
  TempDir dir;
  fs::path path = dir.path / "model.safetensors";
  StateDict old_dict, big;
  old_dict.insert("w", ember::full({4}, 2.0));
  big.insert("w", ember::zeros({1 << 18}));  // 1 MiB, past the limit below
  ember::save_safetensors(old_dict, path);
  std::string before = read_file(path);

  {
    FileSizeLimit limit(64 * 1024);
    CHECK_THROWS_MATCHES(ember::save_safetensors(big, path), ember::Error,
                         ErrorMentions({"save_safetensors", path.string(), "writing",
                                        "File too large", "previous file"}));
  }

  CHECK(read_file(path) == before);
  CHECK(dir.names() == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("a save whose rename fails removes its temporary file", "[serialization]") {
  TempDir dir;
  fs::create_directory(dir.path / "taken");
  write_file(dir.path / "taken" / "keep", "x");
  StateDict dict;
  dict.insert("w", ember::ones({2}));

  CHECK_THROWS_MATCHES(ember::save_safetensors(dict, dir.path / "taken"), ember::Error,
                       ErrorMentions({"save_safetensors", "renaming", "Is a directory"}));

  CHECK(dir.names() == std::vector<std::string>{"taken"});
  CHECK(read_file(dir.path / "taken" / "keep") == "x");
}

TEST_CASE("a save into a missing directory names the file and the system's reason",
          "[serialization]") {
  TempDir dir;
  fs::path path = dir.path / "missing" / "model.safetensors";
  StateDict dict;
  dict.insert("w", ember::ones({2}));

  CHECK_THROWS_MATCHES(ember::save_safetensors(dict, path), ember::Error,
                       ErrorMentions({path.string(), "temporary file",
                                      "No such file or directory"}));
}

TEST_CASE("save_safetensors refuses what it cannot write before touching the disk",
          "[serialization]") {
  TempDir dir;
  fs::path path = dir.path / "model.safetensors";
  StateDict good;
  good.insert("w", ember::ones({2}));
  ember::save_safetensors(good, path);
  std::string before = read_file(path);

  StateDict undefined;
  undefined.insert("w", ember::ones({2}));
  undefined.insert("missing", Tensor());
  StateDict reserved;
  reserved.insert("__metadata__", ember::ones({1}));
  StateDict bad_name;
  bad_name.insert("bad\xff", ember::ones({1}));
  StateDict bad_metadata;
  bad_metadata.metadata()["k"] = "\xc3";

  CHECK_THROWS_MATCHES(ember::save_safetensors(undefined, path), ember::Error,
                       ErrorMentions({path.string(), "tensor 'missing' is undefined"}));
  CHECK_THROWS_MATCHES(ember::save_safetensors(reserved, path), ember::Error,
                       ErrorMentions({"__metadata__", "reserves"}));
  CHECK_THROWS_MATCHES(ember::save_safetensors(bad_name, path), ember::Error,
                       ErrorMentions({"tensor name", "not valid UTF-8"}));
  CHECK_THROWS_MATCHES(ember::serialize_safetensors(bad_metadata), ember::Error,
                       ErrorMentions({"serialize_safetensors", "metadata value",
                                      "not valid UTF-8"}));
  CHECK(read_file(path) == before);
  CHECK(dir.names() == std::vector<std::string>{"model.safetensors"});
}

// ---- the reader refuses every broken rule ----

namespace {

struct BrokenFile {
  const char* what;
  std::string bytes;
  std::vector<std::string> mentions;
};

const std::string kF32Pair("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);  // 1.0f, 2.0f

std::string one_tensor(const std::string& fields, const std::string& data = kF32Pair) {
  return image("{\"w\":{" + fields + "}}", data);
}

std::vector<BrokenFile> broken_files() {
  const std::string dtype = "\"dtype\":\"F32\",";
  const std::string shape2 = "\"shape\":[2],";
  return {
      {"empty file", "", {"0 bytes", "fewer than the 8-byte header length"}},
      {"7 bytes", std::string(7, '\0'), {"7 bytes"}},
      {"header longer than the file", image("{}", "", 100), {"header length 100", "runs past"}},
      {"header length 2^63", image("{}", "", uint64_t{1} << 63), {"over the limit"}},
      {"header length 200 MB", image("{}", "", 200'000'000), {"over the limit"}},
      {"header length 2^64 - 1", image("{}", "", ~uint64_t{0}), {"over the limit"}},
      {"header is not JSON", image("{\"w\": nope}"), {"not valid JSON"}},
      {"header cut inside JSON", image("{\"w\":{\"dtype\":\"F3"), {"not valid JSON"}},
      {"header is not UTF-8", image("{\"w\xff\":{}}"), {"not valid JSON"}},
      {"header with trailing garbage", image("{} x"), {"not valid JSON"}},
      {"header is an array", image("[1,2]"), {"an array, not a JSON object"}},
      {"header is a string", image("\"w\""), {"a string, not a JSON object"}},
      {"header is empty", image(""), {"not valid JSON"}},
      {"deep nesting", image(std::string(40, '[') + std::string(40, ']')),
       {"nests deeper than 16"}},
      {"entry is a number", image("{\"w\":3}"),
       {"tensor 'w'", "the entry is a number, not an object"}},
      {"missing dtype", one_tensor(shape2 + "\"data_offsets\":[0,8]"),
       {"tensor 'w'", "missing field \"dtype\""}},
      {"missing shape", one_tensor(dtype + "\"data_offsets\":[0,8]"),
       {"tensor 'w'", "missing field \"shape\""}},
      {"missing data_offsets", one_tensor(dtype + "\"shape\":[2]"),
       {"tensor 'w'", "missing field \"data_offsets\""}},
      {"unexpected field", one_tensor(dtype + shape2 + "\"data_offsets\":[0,8],\"x\":1"),
       {"tensor 'w'", "unexpected field \"x\""}},
      {"unknown dtype", one_tensor("\"dtype\":\"F16\"," + shape2 + "\"data_offsets\":[0,8]"),
       {"tensor 'w'", "dtype \"F16\" is not supported", "F32, F64, I64, BOOL"}},
      {"lowercase dtype", one_tensor("\"dtype\":\"f32\"," + shape2 + "\"data_offsets\":[0,8]"),
       {"tensor 'w'", "dtype \"f32\" is not supported"}},
      {"dtype not a string", one_tensor("\"dtype\":4," + shape2 + "\"data_offsets\":[0,8]"),
       {"tensor 'w'", "dtype must be a string"}},
      {"shape not a list", one_tensor(dtype + "\"shape\":2,\"data_offsets\":[0,8]"),
       {"tensor 'w'", "shape must be a list of non-negative integers, got 2"}},
      {"negative size", one_tensor(dtype + "\"shape\":[-2],\"data_offsets\":[0,8]"),
       {"tensor 'w'", "non-negative integers", "[-2]"}},
      {"fractional size", one_tensor(dtype + "\"shape\":[2.0],\"data_offsets\":[0,8]"),
       {"tensor 'w'", "non-negative integers"}},
      {"size as a string", one_tensor(dtype + "\"shape\":[\"2\"],\"data_offsets\":[0,8]"),
       {"tensor 'w'", "non-negative integers"}},
      {"nested shape", one_tensor(dtype + "\"shape\":[[2]],\"data_offsets\":[0,8]"),
       {"tensor 'w'", "non-negative integers"}},
      {"size 2^63", one_tensor(dtype + "\"shape\":[9223372036854775808],\"data_offsets\":[0,8]"),
       {"tensor 'w'", "below 2^63"}},
      {"numel overflow",
       one_tensor(dtype + "\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]"),
       {"tensor 'w'", "more elements than fit in 64 bits"}},
      {"strides overflow behind a zero",
       one_tensor(dtype + "\"shape\":[0,4611686018427387904,4],\"data_offsets\":[0,0]", ""),
       {"tensor 'w'", "more elements than fit in 64 bits"}},
      {"byte count overflow",
       one_tensor(dtype + "\"shape\":[4611686018427387904],\"data_offsets\":[0,8]"),
       {"tensor 'w'", "hold 8 bytes but F32 shape [4611686018427387904]"}},
      {"data_offsets not a list", one_tensor(dtype + shape2 + "\"data_offsets\":8"),
       {"tensor 'w'", "data_offsets must be [begin, end]"}},
      {"data_offsets with three numbers", one_tensor(dtype + shape2 + "\"data_offsets\":[0,4,8]"),
       {"tensor 'w'", "data_offsets must be [begin, end]"}},
      {"data_offsets reversed", one_tensor(dtype + shape2 + "\"data_offsets\":[8,0]"),
       {"tensor 'w'", "0 <= begin <= end", "[8,0]"}},
      {"negative data_offsets", one_tensor(dtype + shape2 + "\"data_offsets\":[-8,0]"),
       {"tensor 'w'", "data_offsets must be"}},
      {"data_offsets past the data", one_tensor(dtype + shape2 + "\"data_offsets\":[0,12]"),
       {"tensor 'w'", "[0, 12] end past the data region, which holds 8 bytes"}},
      {"huge data_offsets",
       one_tensor(dtype + shape2 + "\"data_offsets\":[0,9223372036854775807]"),
       {"tensor 'w'", "end past the data region"}},
      {"size mismatch", one_tensor(dtype + "\"shape\":[3],\"data_offsets\":[0,8]"),
       {"tensor 'w'", "hold 8 bytes but F32 shape [3] needs 3 x 4 bytes"}},
      {"truncated data", one_tensor(dtype + shape2 + "\"data_offsets\":[0,8]", "\x01\x02\x03"),
       {"tensor 'w'", "end past the data region, which holds 3 bytes"}},
      {"overlapping tensors",
       image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
             "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", kF32Pair),
       {"tensors 'a' [0, 8) and 'b' [4, 8) overlap"}},
      {"the same bytes twice",
       image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
             "\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}", kF32Pair),
       {"overlap"}},
      {"empty tensor inside another",
       image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
             "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", kF32Pair),
       {"'a' [0, 8) and 'e' [4, 4) overlap"}},
      {"hole before a tensor", one_tensor(dtype + "\"shape\":[1],\"data_offsets\":[4,8]"),
       {"bytes [0, 4) of the data region belong to no tensor", "'w'"}},
      {"trailing bytes", one_tensor(dtype + "\"shape\":[1],\"data_offsets\":[0,4]"),
       {"holds 8 bytes but the tensors end at 4", "4 trailing bytes"}},
      {"data without tensors", image("{}", "abc"), {"3 trailing bytes"}},
      {"metadata not an object", image("{\"__metadata__\":[\"a\"]}"),
       {"\"__metadata__\" must be an object of strings, got an array"}},
      {"metadata value a number", image("{\"__metadata__\":{\"epoch\":3}}"),
       {"metadata 'epoch' is a number (3)", "must be strings"}},
      {"metadata value null", image("{\"__metadata__\":{\"a\":null}}"), {"metadata 'a' is a null"}},
      {"duplicate tensor", image("{\"w\":{},\"w\":{}}"), {"names 'w' twice"}},
      {"duplicate metadata", image("{\"__metadata__\":{},\"__metadata__\":{}}"),
       {"names '__metadata__' twice"}},
      {"duplicate field", one_tensor(dtype + "\"dtype\":\"F64\"," + shape2 +
                                     "\"data_offsets\":[0,8]"),
       {"entry 'w' has the key 'dtype' twice"}},
      {"duplicate metadata key", image("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}"),
       {"entry '__metadata__' has the key 'a' twice"}},
      {"BOOL byte other than 0 and 1",
       image("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}",
             std::string("\x01\x00\x07", 3)),
       {"tensor 'm'", "BOOL element 2 is the byte 7"}},
  };
}

}  // namespace

TEST_CASE("the safetensors reader refuses each broken rule naming the input and the tensor",
          "[serialization]") {
  for (const BrokenFile& broken : broken_files()) {
    INFO(broken.what);
    std::vector<std::string> mentions = broken.mentions;

    CHECK_THROWS_MATCHES(parse(broken.bytes), ember::Error,
                         ErrorMentions({"load_safetensors: 'buffer'"}));
    for (const std::string& fragment : mentions) {
      CHECK_THROWS_MATCHES(parse(broken.bytes), ember::Error, ErrorMentions({fragment}));
    }
  }
}

TEST_CASE("the safetensors reader never reads past a buffer cut anywhere", "[serialization]") {
  StateDict dict = every_dtype_and_shape();
  dict.metadata()["format"] = "pt";
  std::string bytes = ember::serialize_safetensors(dict);

  // Each cut lives in its own allocation, so a sanitizer build catches an overread.
  for (size_t size = 0; size < bytes.size(); ++size) {
    std::vector<char> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
    INFO("cut at " << size << " of " << bytes.size());
    CHECK_THROWS_AS(ember::parse_safetensors(cut.data(), cut.size(), "cut"), ember::Error);
  }
}

TEST_CASE("the safetensors reader accepts what the specification allows", "[serialization]") {
  // Data order different from header order, "-0" as a size, whitespace and an
  // unpadded header, tensors sharing an offset when one is empty.
  std::string header =
      " { \"b\" : {\"shape\":[1],\"data_offsets\":[4,8],\"dtype\":\"F32\"},\n"
      "\t\"a\" : {\"dtype\":\"F32\",\"shape\":[-0],\"data_offsets\":[4,4]},"
      "\"c\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}, \"__metadata__\":{}}\n";

  StateDict loaded = parse(image(header, kF32Pair));

  CHECK(loaded.keys() == std::vector<std::string>{"b", "a", "c"});
  CHECK(loaded.at("b").to_vector<float>() == std::vector<float>{2.0f});
  CHECK(loaded.at("a").shape() == Shape{0});
  CHECK(loaded.at("c").dim() == 0);
  CHECK(loaded.at("c").item<float>() == 1.0f);
}

TEST_CASE("load_safetensors names the file it cannot read", "[serialization]") {
  TempDir dir;
  fs::path truncated = dir.path / "truncated.safetensors";
  StateDict dict;
  dict.insert("w", ember::ones({16}));
  std::string bytes = ember::serialize_safetensors(dict);
  write_file(truncated, bytes.substr(0, bytes.size() - 5));

  CHECK_THROWS_MATCHES(ember::load_safetensors(dir.path / "absent.safetensors"), ember::Error,
                       ErrorMentions({"absent.safetensors", "cannot open",
                                      "No such file or directory"}));
  CHECK_THROWS_MATCHES(ember::load_safetensors(dir.path), ember::Error,
                       ErrorMentions({"not a regular file"}));
  CHECK_THROWS_MATCHES(ember::load_safetensors(truncated), ember::Error,
                       ErrorMentions({truncated.string(), "tensor 'w'", "end past the data"}));
}

// ---- fuzzer seeds and findings ----

// tests/fuzz/fuzz_safetensors.cpp holds the reader to this on random input;
// inputs that ever broke it belong in tests/fuzz/corpus/ and so run here too.
TEST_CASE("every fuzzer seed loads and round trips or is refused with ember::Error",
          "[serialization]") {
  fs::path corpus = fs::path(EMBER_FIXTURES_DIR) / ".." / "fuzz" / "corpus";
  int accepted = 0, refused = 0;

  for (const auto& entry : fs::directory_iterator(corpus)) {
    INFO(entry.path().filename().string());
    std::string bytes = read_file(entry.path());
    try {
      StateDict dict = parse(bytes);
      check_same(parse(ember::serialize_safetensors(dict)), dict);
      ++accepted;
    } catch (const ember::Error&) {
      ++refused;
    }
  }

  CHECK(accepted >= 3);
  CHECK(refused >= 10);
}

// ---- interchange with PyTorch ----

namespace {

// Checks a file from tools/make_safetensors_fixtures.py against its case in
// expected.txt: tensor keys in file order, metadata, and every tensor's bytes.
void check_torch_fixture(const std::string& name) {
  std::vector<ember_test::Fixture> cases = ember_test::read_fixtures(kFixtureDir + "/expected.txt");
  auto found = std::find_if(cases.begin(), cases.end(),
                            [&](const ember_test::Fixture& f) { return f.name == name; });
  REQUIRE(found != cases.end());

  StateDict loaded = ember::load_safetensors(kFixtureDir + "/" + name + ".safetensors");

  CHECK(loaded.keys() == found->param("keys"));
  std::map<std::string, std::string> metadata;
  for (const auto& [key, values] : found->params) {
    if (key.starts_with("metadata.")) metadata[key.substr(9)] = values.at(0);
  }
  CHECK(loaded.metadata() == metadata);
  for (const auto& [key, record] : found->tensors) {
    INFO("tensor " << key);
    REQUIRE(loaded.contains(key));
    CHECK(same_bytes(loaded.at(key), ember_test::make_tensor(record)));
  }
  CHECK(loaded.size() == found->tensors.size());
}

// The dict behind ember_written.safetensors; ember_expected() in the fixture
// script builds the same tensors in torch.
StateDict interchange_dict() {
  StateDict dict;
  Tensor values = ember::arange(0, 12, 1, ember::kFloat64).mul_(0.25).sub_(1.5);
  Tensor weight = values.to(ember::kFloat32).reshape({3, 4});
  dict.insert("weight", weight.t().contiguous().t());  // same values, transposed storage
  dict.insert("bias", ember::tensor(std::vector<double>{1.0 / 3.0, -2.0 / 3.0, 1e-300, -0.0}));
  dict.insert("step", ember::scalar_tensor(1234567890123.0, ember::kInt64));
  dict.insert("ids", ember::tensor(std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1,
                                                        0, std::numeric_limits<int64_t>::max()},
                                   {2, 2}));
  dict.insert("empty", ember::zeros({2, 0}));
  dict.insert("mask", mask({1, 0, 1}, {3}));
  dict.insert("grad_param", ember::tensor({0.5f, -0.25f}).requires_grad_(true));
  dict.metadata()["format"] = "pt";
  dict.metadata()["epoch"] = "3";
  return dict;
}

}  // namespace

TEST_CASE("files PyTorch wrote with every dtype load with their values", "[serialization]") {
  check_torch_fixture("dtypes");
}

TEST_CASE("a torch.nn.Sequential state_dict loads with PyTorch's keys and values",
          "[serialization]") {
  check_torch_fixture("sequential");
}

TEST_CASE("ember writes the interchange fixture PyTorch checks byte for byte",
          "[serialization]") {
  StateDict dict = interchange_dict();
  REQUIRE_FALSE(dict.at("weight").is_contiguous());
  std::string expected = read_file(kFixtureDir + "/ember_written.safetensors");

  std::string bytes = ember::serialize_safetensors(dict);

  if (bytes != expected) {
    fs::path fresh = fs::temp_directory_path() / "ember_written.safetensors";
    write_file(fresh, bytes);
    FAIL("ember_written.safetensors differs from what ember writes now; if the change is "
         "intended, copy " << fresh.string() << " to tests/fixtures/safetensors/ and run "
         "/usr/bin/python3 tools/make_safetensors_fixtures.py --check on it");
  }
  check_same(parse(expected), parse(bytes));
}

// ---- generator state ----

TEST_CASE("a generator restored from a checkpoint draws the same numbers", "[serialization]") {
  ember::Generator generator(1234);
  ember::rand({100}, {}, &generator);
  StateDict checkpoint;
  checkpoint.insert("model.w", ember::ones({2}));
  checkpoint.merge("generator", ember::generator_state(generator));
  TempDir dir;
  ember::save_safetensors(checkpoint, dir.path / "ckpt.safetensors");
  uint64_t saved_offset = generator.offset();
  Tensor next = ember::randn({50}, ember::kFloat64, &generator);

  ember::Generator restored(99);
  StateDict loaded = ember::load_safetensors(dir.path / "ckpt.safetensors");
  ember::load_generator_state(restored, loaded.extract("generator"));

  CHECK(restored.seed() == 1234);
  CHECK(restored.offset() == saved_offset);
  CHECK(same_bytes(ember::randn({50}, ember::kFloat64, &restored), next));
}

TEST_CASE("generator state keeps 64-bit seeds and refuses malformed entries",
          "[serialization]") {
  ember::Generator generator(~uint64_t{0});
  generator.set_offset(uint64_t{1} << 63);
  StateDict state = ember::generator_state(generator);
  StateDict missing, garbage;
  missing.metadata()["seed"] = "1";
  garbage.metadata()["seed"] = "12x";
  garbage.metadata()["offset"] = "0";

  ember::Generator restored;
  ember::load_generator_state(restored, state);

  CHECK(restored.seed() == ~uint64_t{0});
  CHECK(restored.offset() == uint64_t{1} << 63);
  CHECK_THROWS_MATCHES(ember::load_generator_state(restored, missing), ember::Error,
                       ErrorMentions({"no 'offset' entry"}));
  CHECK_THROWS_MATCHES(ember::load_generator_state(restored, garbage), ember::Error,
                       ErrorMentions({"'seed' is \"12x\""}));
}
