#include "daemon/systemd/credentials.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace trustgate {
namespace {

TEST(CredentialPathsTest, FindsCredentialInDirectory) {
  CredentialPaths creds(std::filesystem::path("/run/credentials/trustgated.service"));
  EXPECT_EQ(creds.find("ldap-bind-password"),
            std::filesystem::path("/run/credentials/trustgated.service/ldap-bind-password"));
}

TEST(CredentialPathsTest, NoDirectoryFindsNothing) {
  CredentialPaths creds(std::nullopt);
  EXPECT_EQ(creds.find("ldap-bind-password"), std::nullopt);
}

TEST(CredentialPathsTest, InvalidNamesAreNotCredentials) {
  CredentialPaths creds(std::filesystem::path("/run/credentials/x"));
  EXPECT_EQ(creds.find(""), std::nullopt);
  EXPECT_EQ(creds.find("."), std::nullopt);
  EXPECT_EQ(creds.find(".."), std::nullopt);
  EXPECT_EQ(creds.find("../etc/shadow"), std::nullopt);
  EXPECT_EQ(creds.find("a/b"), std::nullopt);
  EXPECT_EQ(creds.find("a\nb"), std::nullopt);
  EXPECT_EQ(creds.find(std::string(256, 'a')), std::nullopt);
  EXPECT_TRUE(creds.find(std::string(255, 'a')).has_value());
}

TEST(CredentialPathsTest, FromEnvironmentReadsCredentialsDirectory) {
  const char* old = std::getenv("CREDENTIALS_DIRECTORY");
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;

  ::setenv("CREDENTIALS_DIRECTORY", "/run/credentials/t.service", 1);
  EXPECT_EQ(CredentialPaths::from_environment().directory(),
            std::filesystem::path("/run/credentials/t.service"));
  ::setenv("CREDENTIALS_DIRECTORY", "", 1);
  EXPECT_EQ(CredentialPaths::from_environment().directory(), std::nullopt);
  ::unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_EQ(CredentialPaths::from_environment().directory(), std::nullopt);

  if (saved) ::setenv("CREDENTIALS_DIRECTORY", saved->c_str(), 1);
}

}  // namespace
}  // namespace trustgate
