#include "nn/module_list.h"

namespace ember::nn {

std::shared_ptr<Module> ModuleListImpl::operator[](size_t index) const {
  EMBER_CHECK(index < size(), "ModuleList: index ", index, " is out of range for ", size(),
              " modules");
  return modules_[index];
}

}  // namespace ember::nn
