#include "framework/state_dict.h"

#include "framework/error.h"

namespace ember {

void StateDict::insert(std::string key, Tensor value) {
  EMBER_CHECK(!contains(key), "StateDict: duplicate key '", key, "'");
  index_.emplace(key, items_.size());
  items_.emplace_back(std::move(key), std::move(value));
}

void StateDict::set(const std::string& key, Tensor value) {
  auto found = index_.find(key);
  if (found == index_.end()) {
    insert(key, std::move(value));
    return;
  }
  items_[found->second].second = std::move(value);
}

const Tensor& StateDict::at(const std::string& key) const {
  const Tensor* value = find(key);
  EMBER_CHECK(value != nullptr, "StateDict: no entry named '", key, "'");
  return *value;
}

const Tensor* StateDict::find(const std::string& key) const {
  auto found = index_.find(key);
  return found == index_.end() ? nullptr : &items_[found->second].second;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> names;
  names.reserve(items_.size());
  for (const auto& [key, value] : items_) names.push_back(key);
  return names;
}

void StateDict::merge(const std::string& prefix, const StateDict& other) {
  for (const auto& [key, value] : other) insert(prefix + "." + key, value);
  for (const auto& [key, value] : other.metadata()) metadata_[prefix + "." + key] = value;
}

StateDict StateDict::extract(const std::string& prefix) const {
  const std::string head = prefix + ".";
  StateDict part;
  for (const auto& [key, value] : items_) {
    if (key.starts_with(head)) part.insert(key.substr(head.size()), value);
  }
  for (const auto& [key, value] : metadata_) {
    if (key.starts_with(head)) part.metadata_[key.substr(head.size())] = value;
  }
  return part;
}

}  // namespace ember
