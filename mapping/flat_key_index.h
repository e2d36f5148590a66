#pragma once
// A string_view -> uint32 index for the group tree's hot lookups (every member value of every
// group is looked up once per mapping pass): open addressing with linear probing in one array,
// so a lookup touches one slot and the key's bytes instead of a bucket, a node and the key as
// std::unordered_map does. Keys are not copied: their bytes must outlive the index.
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace trustgate {

class FlatKeyIndex {
 public:
  // Room for `expected` keys without growing (the table is kept at most half full).
  explicit FlatKeyIndex(std::size_t expected);

  // Inserts key -> value unless the key is present. Returns the stored value (the existing one
  // when present) by reference, and whether it was inserted.
  std::pair<std::uint32_t&, bool> emplace(std::string_view key, std::uint32_t value);
  // The value stored for key, or nullptr.
  const std::uint32_t* find(std::string_view key) const;
  std::size_t size() const { return size_; }

 private:
  static constexpr std::uint32_t kFree = UINT32_MAX;  // the length of an unused slot
  struct Slot {
    std::size_t hash = 0;
    const char* data = nullptr;
    std::uint32_t length = kFree;
    std::uint32_t value = 0;
    bool used() const { return length != kFree; }
  };
  std::size_t probe(std::string_view key, std::size_t hash) const;  // key's slot or a free one
  void grow();

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace trustgate
