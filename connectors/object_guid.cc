#include "connectors/object_guid.h"

#include <array>
#include <cstddef>

namespace trustgate {

std::optional<std::string> format_object_guid(std::string_view raw) {
  if (raw.size() != 16) return std::nullopt;
  // Byte order of the canonical text: Data1 (4, LE), Data2 (2, LE), Data3 (2, LE), Data4 (8).
  constexpr std::array<std::size_t, 16> kOrder = {3, 2, 1,  0,  5,  4,  7,  6,
                                                  8, 9, 10, 11, 12, 13, 14, 15};
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < kOrder.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    const auto byte = static_cast<unsigned char>(raw[kOrder[i]]);
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0f]);
  }
  return out;
}

}  // namespace trustgate
