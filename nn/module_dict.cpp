#include "nn/module_dict.h"

#include <algorithm>

namespace ember::nn {

bool ModuleDictImpl::contains(const std::string& name) const {
  const auto& items = named_children();
  return std::any_of(items.begin(), items.end(),
                     [&](const NamedModule& item) { return item.first == name; });
}

std::shared_ptr<Module> ModuleDictImpl::operator[](const std::string& name) const {
  for (const auto& [key, module] : named_children()) {
    if (key == name) return module;
  }
  std::string known;
  for (const std::string& key : keys()) known += (known.empty() ? "'" : ", '") + key + "'";
  throw Error("ModuleDict: no module named '" + name + "'; the keys are [" + known + "]");
}

std::vector<std::string> ModuleDictImpl::keys() const {
  std::vector<std::string> names;
  for (const auto& [key, module] : named_children()) names.push_back(key);
  return names;
}

}  // namespace ember::nn
