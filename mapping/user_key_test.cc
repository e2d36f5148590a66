#include "mapping/user_key.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

TEST(UserKey, IdPrefixNamesAStableIdAndAnythingElseAUsername) {
  EXPECT_EQ(parse_user_key("id:9f1c-77"), UserKey::by_id("9f1c-77"));
  EXPECT_EQ(parse_user_key("aisha.khan"), UserKey::by_username("aisha.khan"));
  // A bare stable id is a username: ids are named only with the prefix.
  EXPECT_EQ(parse_user_key("9f1c-77").kind, UserKey::Kind::Username);
  EXPECT_EQ(parse_user_key("ID:x").kind, UserKey::Kind::Username);
  EXPECT_EQ(parse_user_key("id:"), UserKey::by_id(""));
}

TEST(UserKey, ToStringReadsBack) {
  for (const UserKey& k : {UserKey::by_id("a:b"), UserKey::by_username("aisha")}) {
    EXPECT_EQ(parse_user_key(to_string(k)), k);
  }
  EXPECT_EQ(id_key("abc"), "id:abc");
}

}  // namespace
}  // namespace trustgate
