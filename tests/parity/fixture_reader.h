#pragma once

// Reads the PyTorch reference files written by tools/make_fixtures.py (the
// format is described at the top of that script).

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "framework/tensor.h"

namespace ember_test {

// One tensor record: geometry plus the values as written (parsed per dtype
// so float32 values read back exactly).
struct FixtureTensor {
  ember::DType dtype = ember::kFloat32;
  ember::Shape shape;
  std::vector<std::string> values;
  bool transposed = false;  // stored with the last two dims swapped in memory
};

struct Fixture {
  std::string name;
  std::string op;
  std::map<std::string, std::vector<std::string>> params;
  std::map<std::string, FixtureTensor> tensors;
  bool gradcheck = true;

  bool has(const std::string& key) const { return params.count(key) != 0; }
  bool has_tensor(const std::string& key) const { return tensors.count(key) != 0; }

  const std::vector<std::string>& param(const std::string& key) const {
    auto it = params.find(key);
    EMBER_CHECK(it != params.end() && !it->second.empty(), "fixture ", name,
                ": missing param ", key);
    return it->second;
  }
  int64_t integer(const std::string& key) const { return std::stoll(param(key)[0]); }
  double real(const std::string& key) const { return std::strtod(param(key)[0].c_str(), nullptr); }
  const std::string& word(const std::string& key) const { return param(key)[0]; }
  ember::Shape integers(const std::string& key) const {
    ember::Shape values;
    for (const std::string& text : param(key)) values.push_back(std::stoll(text));
    return values;
  }

  // Inputs in0, in1, ... in order.
  int input_count() const {
    int count = 0;
    while (has_tensor("in" + std::to_string(count))) ++count;
    return count;
  }
};

inline ember::DType parse_dtype(const std::string& text) {
  if (text == "float32") return ember::kFloat32;
  if (text == "float64") return ember::kFloat64;
  if (text == "int64") return ember::kInt64;
  if (text == "bool") return ember::kBool;
  ember::detail::throw_error("fixture: unknown dtype ", text);
}

// Fills `count` elements at `data` (contiguous) from the value strings,
// visiting them in `order` (the position in memory of each logical element).
inline void fill_values(const FixtureTensor& record, void* data,
                        const std::vector<int64_t>& order) {
  for (size_t k = 0; k < record.values.size(); ++k) {
    const char* text = record.values[k].c_str();
    int64_t at = order[k];
    switch (record.dtype) {
      case ember::DType::Float32: static_cast<float*>(data)[at] = std::strtof(text, nullptr);
        break;
      case ember::DType::Float64: static_cast<double*>(data)[at] = std::strtod(text, nullptr);
        break;
      case ember::DType::Int64: static_cast<int64_t*>(data)[at] = std::strtoll(text, nullptr, 10);
        break;
      case ember::DType::Bool: static_cast<bool*>(data)[at] = std::strtoll(text, nullptr, 10);
        break;
    }
  }
}

// A fresh tensor holding the record's values. A transposed record comes back
// as a non-contiguous view over storage laid out with the last two dims
// swapped, the same layout the script gave PyTorch.
inline ember::Tensor make_tensor(const FixtureTensor& record) {
  const ember::Shape& shape = record.shape;
  int64_t numel = ember::shape_numel(shape);
  EMBER_CHECK(static_cast<int64_t>(record.values.size()) == numel, "fixture: ",
              record.values.size(), " values for shape ", shape);

  if (!record.transposed || shape.size() < 2) {
    ember::Tensor result = ember::empty(shape, record.dtype);
    std::vector<int64_t> order(static_cast<size_t>(numel));
    for (int64_t k = 0; k < numel; ++k) order[k] = k;
    fill_values(record, result.raw_data(), order);
    return result;
  }

  ember::Shape memory_shape = shape;
  std::swap(memory_shape[shape.size() - 1], memory_shape[shape.size() - 2]);
  ember::Tensor storage = ember::empty(memory_shape, record.dtype);
  ember::Shape strides = ember::contiguous_strides(memory_shape);
  std::swap(strides[shape.size() - 1], strides[shape.size() - 2]);

  // Memory position of each logical (row-major) element under the swapped strides.
  std::vector<int64_t> order(static_cast<size_t>(numel));
  ember::Shape index(shape.size(), 0);
  for (int64_t k = 0; k < numel; ++k) {
    int64_t at = 0;
    for (size_t d = 0; d < shape.size(); ++d) at += index[d] * strides[d];
    order[k] = at;
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  fill_values(record, storage.raw_data(), order);
  return ember::make_view_tensor(storage, shape, strides, 0);
}

inline std::vector<Fixture> read_fixtures(const std::string& path) {
  std::ifstream in(path);
  EMBER_CHECK(in.good(), "fixture: cannot open ", path,
              "; regenerate with /usr/bin/python3 tools/make_fixtures.py");
  std::vector<Fixture> fixtures;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "case") {
      fixtures.emplace_back();
      words >> fixtures.back().name;
      continue;
    }
    EMBER_CHECK(!fixtures.empty(), "fixture: ", path, ": '", kind, "' before any case");
    Fixture& fixture = fixtures.back();
    if (kind == "op") {
      words >> fixture.op;
    } else if (kind == "param") {
      std::string key, value;
      words >> key;
      auto& values = fixture.params[key];
      while (words >> value) values.push_back(value);
    } else if (kind == "tensor") {
      std::string key, dtype;
      int64_t ndim = 0;
      words >> key >> dtype >> ndim;
      FixtureTensor& record = fixture.tensors[key];
      record.dtype = parse_dtype(dtype);
      record.shape.resize(static_cast<size_t>(ndim));
      for (int64_t& size : record.shape) words >> size;
      std::string value;
      while (words >> value) record.values.push_back(value);
    } else if (kind == "layout") {
      std::string key, layout;
      words >> key >> layout;
      fixture.tensors.at(key).transposed = layout == "t";
    } else if (kind == "nogradcheck") {
      fixture.gradcheck = false;
    } else if (kind != "end") {
      ember::detail::throw_error("fixture: ", path, ": unknown record '", kind, "'");
    }
  }
  return fixtures;
}

}  // namespace ember_test
