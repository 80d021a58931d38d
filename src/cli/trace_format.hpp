// `ubee trace --format`: a ring buffer or perf buffer record as text, read field by field like a C struct.
// Conversions (each consumes the next field, integers at their natural alignment as a C struct lays them out):
//   %d %i %u %x  32-bit int (signed, signed, unsigned, hex)      %hd %hu %hx  16-bit    %hhd %hhu %c  8-bit
//   %ld %lu %lx  64-bit (also %lld %llu %llx)                    %p           64-bit as 0x...
//   %s           a C string: the bytes up to the first NUL (the rest of the record when none); the next field
//                starts after the NUL
//   %Ns          a char[N] field: N bytes, printed up to the first NUL
//   %%           a '%'
// A field past the end of the record prints as "?".
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "ubee/error.hpp"

namespace ubee::cli {

// Checks a format: an error names the first conversion ubee does not know.
Result<void> check_record_format(const std::string& format);
std::string format_record(const std::string& format, std::span<const std::uint8_t> record);

}  // namespace ubee::cli
