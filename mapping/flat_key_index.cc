#include "mapping/flat_key_index.h"

#include <bit>
#include <cstring>
#include <functional>

namespace trustgate {

FlatKeyIndex::FlatKeyIndex(std::size_t expected) {
  slots_.resize(std::bit_ceil(std::max<std::size_t>(16, expected * 2)));
  mask_ = slots_.size() - 1;
}

std::size_t FlatKeyIndex::probe(std::string_view key, std::size_t hash) const {
  for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (!s.used()) return i;
    if (s.hash == hash && s.length == key.size() &&
        (key.empty() || std::memcmp(s.data, key.data(), key.size()) == 0))
      return i;
  }
}

std::pair<std::uint32_t&, bool> FlatKeyIndex::emplace(std::string_view key, std::uint32_t value) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const std::size_t hash = std::hash<std::string_view>{}(key);
  Slot& s = slots_[probe(key, hash)];
  if (s.used()) return {s.value, false};
  s = Slot{hash, key.data(), static_cast<std::uint32_t>(key.size()), value};
  ++size_;
  return {s.value, true};
}

const std::uint32_t* FlatKeyIndex::find(std::string_view key) const {
  const Slot& s = slots_[probe(key, std::hash<std::string_view>{}(key))];
  return s.used() ? &s.value : nullptr;
}

void FlatKeyIndex::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.used()) continue;
    std::size_t i = s.hash & mask_;
    while (slots_[i].used()) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

}  // namespace trustgate
