#include "mapping/flat_key_index.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace trustgate {
namespace {

TEST(FlatKeyIndex, FindsWhatWasInsertedAndNothingElse) {
  FlatKeyIndex index(4);
  std::string a = "uid=a,dc=x", b = "uid=b,dc=x", empty;
  EXPECT_TRUE(index.emplace(a, 1).second);
  EXPECT_TRUE(index.emplace(b, 2).second);
  EXPECT_TRUE(index.emplace(empty, 3).second);
  ASSERT_NE(index.find("uid=a,dc=x"), nullptr);
  EXPECT_EQ(*index.find("uid=a,dc=x"), 1u);
  EXPECT_EQ(*index.find("uid=b,dc=x"), 2u);
  EXPECT_EQ(*index.find(""), 3u);
  EXPECT_EQ(index.find("uid=c,dc=x"), nullptr);
  EXPECT_EQ(index.find("uid=a,dc=x,"), nullptr);  // a longer key with the same start
  EXPECT_EQ(index.find("uid=a"), nullptr);
  EXPECT_EQ(index.size(), 3u);
}

TEST(FlatKeyIndex, KeepsTheFirstValueAndLetsTheCallerUpdateIt) {
  FlatKeyIndex index(1);
  auto [first, inserted] = index.emplace("k", 7);
  EXPECT_TRUE(inserted);
  auto [again, inserted_again] = index.emplace("k", 9);
  EXPECT_FALSE(inserted_again);
  EXPECT_EQ(again, 7u);
  again = 11;  // the stored value, by reference
  EXPECT_EQ(*index.find("k"), 11u);
  EXPECT_EQ(index.size(), 1u);
}

TEST(FlatKeyIndex, GrowsPastItsExpectedSizeAndAgreesWithAHashMap) {
  // Far more keys than announced: the table grows several times; every key keeps its value.
  std::vector<std::string> keys;
  for (int i = 0; i < 20000; ++i) keys.push_back("uid=user" + std::to_string(i * 7919) + ",dc=x");
  FlatKeyIndex index(8);
  std::unordered_map<std::string, std::uint32_t> reference;
  for (std::uint32_t i = 0; i < keys.size(); ++i) {
    const bool inserted = index.emplace(keys[i], i).second;
    EXPECT_EQ(inserted, reference.emplace(keys[i], i).second);
  }
  EXPECT_EQ(index.size(), reference.size());
  for (const auto& [key, value] : reference) {
    const std::uint32_t* found = index.find(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(*found, value);
  }
  EXPECT_EQ(index.find("uid=absent,dc=x"), nullptr);
}

}  // namespace
}  // namespace trustgate
