#include "daemon/handoff/client_auth.h"

#include <gtest/gtest.h>

#include <fstream>

#include "daemon/testing/la_fixtures.h"

namespace trustgate {
namespace {

using namespace api_testing;

std::string basic(const std::string& user_pass) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < user_pass.size(); i += 3) {
    std::uint32_t v = (std::uint8_t(user_pass[i]) << 16) | (std::uint8_t(user_pass[i + 1]) << 8) |
                      std::uint8_t(user_pass[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  std::size_t rest = user_pass.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint8_t(user_pass[i]) << 16;
    if (rest == 2) v |= std::uint8_t(user_pass[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return "Basic " + out;
}

TEST(ClientAuth, BearerIdColonSecretAuthenticates) {
  auto reg = la_clients();
  auto c = reg.authenticate(std::string("Bearer alder:") + kAlderSecret);
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->id, "alder");
  EXPECT_EQ((*c)->kind, ClientKind::School);
  EXPECT_EQ((*c)->institution, "100001");
}

TEST(ClientAuth, BasicAuthenticates) {
  auto reg = la_clients();
  auto c = reg.authenticate(basic(std::string("ops:") + kAdminSecret));
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->kind, ClientKind::Admin);
}

TEST(ClientAuth, WrongSecretUnknownClientAndMalformedAreRefused) {
  auto reg = la_clients();
  EXPECT_EQ(reg.authenticate(std::string("Bearer alder:") + kBirchSecret).error(),
            AuthFailure::Invalid);
  EXPECT_EQ(reg.authenticate(std::string("Bearer nobody:") + kAlderSecret).error(),
            AuthFailure::Invalid);
  // Another client's secret under a prefix / suffix of the right one.
  EXPECT_EQ(reg.authenticate(std::string("Bearer alder:") + kAlderSecret + "x").error(),
            AuthFailure::Invalid);
  EXPECT_EQ(reg.authenticate("Bearer alder").error(), AuthFailure::Malformed);
  EXPECT_EQ(reg.authenticate("Bearer :x").error(), AuthFailure::Malformed);
  EXPECT_EQ(reg.authenticate("Basic !!!!").error(), AuthFailure::Malformed);
  EXPECT_EQ(reg.authenticate("").error(), AuthFailure::Missing);
  EXPECT_EQ(reg.authenticate("Digest abc").error(), AuthFailure::Missing);
}

TEST(ClientAuth, RegistryRefusesShortSecretsDuplicateIdsAndUnboundSchools) {
  EXPECT_FALSE(ClientRegistry::from_secrets({{{"a", ClientKind::Site, ""}, "short"}}));
  EXPECT_FALSE(ClientRegistry::from_secrets(
      {{{"a", ClientKind::Site, ""}, kSiteSecret}, {{"a", ClientKind::Admin, ""}, kAdminSecret}}));
  EXPECT_FALSE(ClientRegistry::from_secrets({{{"a:b", ClientKind::Site, ""}, kSiteSecret}}));
  EXPECT_FALSE(ClientRegistry::from_secrets({{{"s", ClientKind::School, ""}, kSiteSecret}}));
}

TEST(ClientAuth, FromConfigReadsSecretFilesAndNamesTheClientOnFailure) {
  TempDir dir;
  { std::ofstream(dir.file("site.secret")) << kSiteSecret << "\n"; }
  std::filesystem::permissions(dir.file("site.secret"), std::filesystem::perms::owner_read);
  ClientConfig ok{"mat-site", ClientKind::Site, "", dir.file("site.secret")};
  auto reg = ClientRegistry::from_config({ok});
  ASSERT_TRUE(reg) << reg.error().message;
  EXPECT_TRUE(reg->verify("mat-site", kSiteSecret));
  ClientConfig missing{"ghost", ClientKind::Site, "", dir.file("none.secret")};
  auto bad = ClientRegistry::from_config({ok, missing});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("ghost"), std::string::npos);
}

TEST(ClientAuth, CertificateNamingAnotherClientNeverSpeaksForThisOne) {
  ApiClient site{"mat-site", ClientKind::Site, "", "mat-site", false};
  using Names = std::optional<std::vector<std::string>>;
  EXPECT_TRUE(certificate_speaks_for(site, Names{{"mat-site"}}));
  EXPECT_TRUE(certificate_speaks_for(site, Names{{"other.example", "MAT-Site"}}));  // DNS case
  EXPECT_FALSE(certificate_speaks_for(site, Names{{"alder"}}));
  EXPECT_FALSE(certificate_speaks_for(site, Names{{"mat-site.evil"}}));
  EXPECT_FALSE(certificate_speaks_for(site, Names{{"mat-sit"}}));
  EXPECT_FALSE(certificate_speaks_for(site, Names{std::vector<std::string>{}}));
  // No certificate: fine unless the client must present one.
  EXPECT_TRUE(certificate_speaks_for(site, std::nullopt));
  ApiClient pinned{"birch", ClientKind::School, "100002", "birch.schools.example", true};
  EXPECT_FALSE(certificate_speaks_for(pinned, std::nullopt));
  EXPECT_FALSE(certificate_speaks_for(pinned, Names{{"birch"}}));  // the id is not the name
  EXPECT_TRUE(certificate_speaks_for(pinned, Names{{"birch.schools.example"}}));
}

TEST(ClientAuth, FromConfigTiesCertificatesToTheIdUnlessANameIsConfigured) {
  TempDir dir;
  { std::ofstream(dir.file("site.secret")) << kSiteSecret << "\n"; }
  std::filesystem::permissions(dir.file("site.secret"), std::filesystem::perms::owner_read);
  ClientConfig plain{"mat-site", ClientKind::Site, "", dir.file("site.secret")};
  ClientConfig named{"ops", ClientKind::Admin, "", dir.file("site.secret"), "ops.la.example"};
  auto reg = ClientRegistry::from_config({plain, named});
  ASSERT_TRUE(reg) << reg.error().message;
  EXPECT_EQ(reg->find("mat-site")->certificate_name, "mat-site");
  EXPECT_FALSE(reg->find("mat-site")->certificate_required);
  EXPECT_EQ(reg->find("ops")->certificate_name, "ops.la.example");
  EXPECT_TRUE(reg->find("ops")->certificate_required);
}

}  // namespace
}  // namespace trustgate
