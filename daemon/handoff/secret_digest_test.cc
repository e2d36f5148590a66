#include "daemon/handoff/secret_digest.h"

#include <gtest/gtest.h>

#include <vector>

namespace trustgate {
namespace {

TEST(SecretDigest, Sha256MatchesKnownVector) {
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SecretDigest, Base64UrlRoundTripsWithoutPadding) {
  std::vector<std::uint8_t> bytes(32);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 37 + 250);
  const std::string text = base64url_encode(bytes);
  EXPECT_EQ(text.size(), 43u);
  EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
  auto back = base64url_decode(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(std::vector<std::uint8_t>(back->begin(), back->end()), bytes);
}

TEST(SecretDigest, Base64UrlRejectsForeignCharactersAndNonCanonicalTails) {
  EXPECT_FALSE(base64url_decode("ab+c"));
  EXPECT_FALSE(base64url_decode("abc="));
  EXPECT_FALSE(base64url_decode("a"));
  EXPECT_FALSE(base64url_decode("AB"));  // leftover bits set
  EXPECT_TRUE(base64url_decode("AA"));
}

TEST(SecretDigest, StandardBase64DecodesBasicCredentials) {
  EXPECT_EQ(base64_decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(base64_decode("YQ=="), "a");
  EXPECT_FALSE(base64_decode("YQ="));
  EXPECT_FALSE(base64_decode("Y!=="));
}

TEST(SecretDigest, ConstantTimeEqualComparesContentAndSize) {
  const std::vector<std::uint8_t> a = {1, 2, 3}, b = {1, 2, 3}, c = {1, 2, 4}, d = {1, 2};
  EXPECT_TRUE(constant_time_equal(a, b));
  EXPECT_FALSE(constant_time_equal(a, c));
  EXPECT_FALSE(constant_time_equal(a, d));
}

}  // namespace
}  // namespace trustgate
