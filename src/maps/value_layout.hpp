// Internal: where an element's value lives and how it is copied, shared by the array and hash families so that
// a per-CPU variant is the same code with more CPU slots.
//
// Every value slot is value_size rounded up to 8 bytes and 8-byte aligned in the region, as the kernel's
// elem_size = round_up(value_size, 8): atomic instructions on 8-byte value fields are real atomics. A per-CPU
// element holds possible_cpus() slots back to back, which is also the user-space layout of a per-CPU value
// (bpf(2) copies one round_up(value_size, 8) slot per possible CPU), so user copies are one memcpy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ubee/maps.hpp"

namespace ubee::detail {

constexpr std::size_t round_up8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

struct ValueLayout {
  std::uint32_t value_size = 0;
  std::uint32_t stride = 0;  // one CPU slot
  std::uint32_t ncpus = 1;   // slots per element: possible_cpus() when per-CPU, else 1
  bool per_cpu = false;

  static ValueLayout of(const MapSpec& spec, bool per_cpu) {
    return ValueLayout{spec.value_size, static_cast<std::uint32_t>(round_up8(spec.value_size)),
                       per_cpu ? possible_cpus() : 1U, per_cpu};
  }
  [[nodiscard]] std::size_t element_bytes() const { return std::size_t{stride} * ncpus; }
  // bpf(2)'s value size: value_size, or every CPU's slot for a per-CPU map.
  [[nodiscard]] std::size_t user_size() const { return per_cpu ? element_bytes() : value_size; }

  [[nodiscard]] std::byte* slot(std::byte* element, std::uint32_t cpu) const {
    return element + std::size_t{stride} * cpu;
  }
  // The program side acts on the calling thread's CPU slot (see current_cpu()).
  [[nodiscard]] std::byte* this_cpu(std::byte* element) const {
    return per_cpu ? slot(element, current_cpu()) : element;
  }
  void store_this_cpu(std::byte* element, const void* value) const {
    std::memcpy(this_cpu(element), value, value_size);
  }
  void copy_out(void* user, const std::byte* element) const { std::memcpy(user, element, user_size()); }
  void copy_in(std::byte* element, const void* user) const { std::memcpy(element, user, user_size()); }
};

}  // namespace ubee::detail
