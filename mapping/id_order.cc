#include "mapping/id_order.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace trustgate {

IdOrder id_order(const DirectorySnapshot& s) {
  IdOrder o;
  o.users.reserve(s.users.size());
  for (std::size_t u = 0; u < s.users.size(); ++u) {
    if (s.users[u].id.empty()) {
      ++o.without_id;
    } else {
      o.users.push_back(u);
    }
  }
  // By the id's first 8 bytes as one big-endian number first (std::string orders bytes as
  // unsigned, and a shorter id is padded with zeros, which keeps that order), then by the
  // whole id among equal prefixes: most comparisons then touch two integers side by side
  // instead of two strings in two entries (100k entryUUIDs, standalone: 13 ms, not 44 ms).
  struct Keyed {
    std::uint64_t prefix;
    std::size_t user;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(o.users.size());
  for (std::size_t u : o.users) {
    const std::string& id = s.users[u].id;
    std::uint64_t prefix = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      prefix = prefix << 8 | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0u);
    }
    keyed.push_back({prefix, u});
  }
  std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return s.users[a.user].id < s.users[b.user].id;
  });
  for (std::size_t i = 0; i < keyed.size(); ++i) o.users[i] = keyed[i].user;
  o.distinct =
      std::adjacent_find(o.users.begin(), o.users.end(), [&](std::size_t a, std::size_t b) {
        return s.users[a].id == s.users[b].id;
      }) == o.users.end();
  return o;
}

}  // namespace trustgate
