#include "ubee/helpers.hpp"

namespace ubee {

Result<void> HelperRegistry::add(std::uint32_t id, HelperProto proto) {
  if (proto.fn == nullptr) return make_error(Errc::invalid_argument, "helper " + std::to_string(id) + " has no function");
  if (helpers_.contains(id))
    return make_error(Errc::invalid_argument, "helper id " + std::to_string(id) + " is already registered as '" +
                                                  helpers_.at(id).name + "'");
  helpers_.emplace(id, std::move(proto));
  return {};
}

const HelperProto* HelperRegistry::find(std::uint32_t id) const {
  auto it = helpers_.find(id);
  return it == helpers_.end() ? nullptr : &it->second;
}

}  // namespace ubee
