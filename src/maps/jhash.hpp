// Internal: Bob Jenkins' lookup3 hash as <linux/jhash.h> defines jhash(), the hash the kernel's hash tables
// (kernel/bpf/hashtab.c htab_map_hash) and bloom filter (kernel/bpf/bloom_filter.c hash) use.
#pragma once

#include <cstdint>
#include <cstring>

namespace ubee::detail {

inline std::uint32_t rol32(std::uint32_t w, unsigned s) { return (w << s) | (w >> (32 - s)); }

inline void jhash_mix(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c) {
  a -= c; a ^= rol32(c, 4);  c += b;
  b -= a; b ^= rol32(a, 6);  a += c;
  c -= b; c ^= rol32(b, 8);  b += a;
  a -= c; a ^= rol32(c, 16); c += b;
  b -= a; b ^= rol32(a, 19); a += c;
  c -= b; c ^= rol32(b, 4);  b += a;
}

inline void jhash_final(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c) {
  c ^= b; c -= rol32(b, 14);
  a ^= c; a -= rol32(c, 11);
  b ^= a; b -= rol32(a, 25);
  c ^= b; c -= rol32(b, 16);
  a ^= c; a -= rol32(c, 4);
  b ^= a; b -= rol32(a, 14);
  c ^= b; c -= rol32(b, 24);
}

inline std::uint32_t jhash(const void* key, std::uint32_t length, std::uint32_t initval) {
  const auto* k = static_cast<const unsigned char*>(key);
  std::uint32_t w[3];
  std::uint32_t a = 0xdeadbeef + length + initval;
  std::uint32_t b = a;
  std::uint32_t c = a;
  for (; length > 12; length -= 12, k += 12) {
    std::memcpy(w, k, 12);
    a += w[0]; b += w[1]; c += w[2];
    jhash_mix(a, b, c);
  }
  if (length == 0) return c;
  // The kernel's byte-by-byte tail is a little-endian load of the last 1..12 bytes, zero-padded.
  w[0] = w[1] = w[2] = 0;
  std::memcpy(w, k, length);
  a += w[0]; b += w[1]; c += w[2];
  jhash_final(a, b, c);
  return c;
}

}  // namespace ubee::detail
