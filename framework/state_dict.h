#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "framework/tensor.h"

namespace ember {

// Named tensors in a stable order plus string metadata: what a module, an
// optimizer or a scheduler saves, and what a safetensors file holds (the
// metadata is its "__metadata__" object). Keys follow PyTorch's naming
// ("features.0.weight", "state.3.exp_avg").
class StateDict {
 public:
  using Item = std::pair<std::string, Tensor>;

  // Adds a tensor; throws ember::Error when the key is already present.
  void insert(std::string key, Tensor value);
  // Adds or replaces.
  void set(const std::string& key, Tensor value);

  bool contains(const std::string& key) const { return index_.count(key) != 0; }
  // Throws ember::Error naming the key when it is absent.
  const Tensor& at(const std::string& key) const;
  // nullptr when absent.
  const Tensor* find(const std::string& key) const;

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::vector<std::string> keys() const;
  std::vector<Item>::const_iterator begin() const { return items_.begin(); }
  std::vector<Item>::const_iterator end() const { return items_.end(); }

  // String metadata, saved as the safetensors "__metadata__" object.
  std::map<std::string, std::string>& metadata() { return metadata_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Copies every tensor and metadata entry of `other` in under "prefix.key",
  // so several state dicts share one file (a training checkpoint).
  void merge(const std::string& prefix, const StateDict& other);
  // The entries under "prefix." with the prefix taken off.
  StateDict extract(const std::string& prefix) const;

 private:
  std::vector<Item> items_;
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace ember
