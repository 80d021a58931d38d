// USDT attachment on an object's maps: spec ids, the two maps usdt.bpf.h reads, semaphores.
#include <cstring>
#include <string>

#include "ubee/usdt.hpp"

namespace ubee::usdt {

Result<Target> parse_target(std::string_view text) {
  if (text.empty())
    return make_error(Errc::invalid_argument, "SEC(\"usdt\") names no probe (libbpf attaches it only through "
                                              "bpf_program__attach_usdt()): use SEC(\"usdt/PATH:PROVIDER:NAME\")");
  const auto last = text.rfind(':');
  const auto middle = last == std::string_view::npos || last == 0 ? std::string_view::npos : text.rfind(':', last - 1);
  if (middle == std::string_view::npos || middle == 0 || last == middle + 1 || last + 1 == text.size())
    return make_error(Errc::invalid_argument,
                      "usdt target '" + std::string(text) + "': expected PATH:PROVIDER:NAME (SEC(\"usdt/PATH:PROVIDER:NAME\"))");
  return Target{std::string(text.substr(0, middle)), std::string(text.substr(middle + 1, last - middle - 1)),
                std::string(text.substr(last + 1))};
}

Attacher::Attacher(std::shared_ptr<Map> specs, std::shared_ptr<Map> ip_to_spec_id)
    : specs_(std::move(specs)), ip_to_spec_id_(std::move(ip_to_spec_id)) {}

Attacher::~Attacher() {
  for (std::uintptr_t s : semaphores_) semaphore_remove(s);
}

Result<std::uint32_t> Attacher::spec_id(const std::string& arguments, std::uint64_t usdt_cookie) {
  if (auto it = ids_.find({arguments, usdt_cookie}); it != ids_.end()) return it->second;
  auto spec = parse_arguments(arguments, usdt_cookie);
  if (!spec) return spec.error();
  const auto id = static_cast<std::uint32_t>(ids_.size());
  if (id >= specs_->max_entries())
    return make_error(Errc::unsupported, "more USDT specs than " + std::string(kSpecsMap) + " holds (" +
                                             std::to_string(specs_->max_entries()) + ": BPF_USDT_MAX_SPEC_CNT)");
  if (const long rc = specs_->user_update(&id, &*spec, BPF_ANY); rc != 0)
    return make_error(Errc::invalid_argument, std::string(kSpecsMap) + ": " + std::strerror(static_cast<int>(-rc)));
  ids_.emplace(std::make_pair(arguments, usdt_cookie), id);
  return id;
}

Result<std::size_t> Attacher::attach(const Target& target, std::uint64_t usdt_cookie, const AttachAt& attach_at) {
  if (specs_ == nullptr || specs_->value_size() != sizeof(BpfUsdtSpec) || specs_->key_size() != 4)
    return make_error(Errc::invalid_argument, "the object has no " + std::string(kSpecsMap) +
                                                  " map of libbpf's layout (include <bpf/usdt.bpf.h>)");
  auto sites = find_sites(target.path, target.provider, target.name);
  if (!sites) return sites.error();
  for (const Site& site : *sites) {
    auto id = spec_id(site.note.arguments, usdt_cookie);
    if (!id) {
      Error e = id.error();
      e.message = target.provider + ":" + target.name + ": " + e.message;
      return e;
    }
    if (ip_to_spec_id_ != nullptr && ip_to_spec_id_->key_size() == 8 && ip_to_spec_id_->value_size() == 4) {
      const auto ip = static_cast<std::int64_t>(site.address);
      if (const long rc = ip_to_spec_id_->user_update(&ip, &*id, BPF_ANY); rc != 0)
        return make_error(Errc::invalid_argument, std::string(kIpToSpecIdMap) + ": " + std::strerror(static_cast<int>(-rc)));
    }
    // Raised before the probe is live, as the kernel raises the reference counter when it installs the uprobe.
    if (site.semaphore != 0) {
      semaphore_add(site.semaphore);
      semaphores_.push_back(site.semaphore);
    }
    if (auto r = attach_at(site.address, *id); !r) return r.error();
  }
  return sites->size();
}

}  // namespace ubee::usdt
