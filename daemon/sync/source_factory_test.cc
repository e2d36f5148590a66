#include "daemon/sync/source_factory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace trustgate {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

class SourceFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        fs::path(::testing::TempDir()) /
        (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".ldif");
    std::ofstream(path_) << R"(dn: uid=stays,ou=staff,dc=la,dc=example
objectClass: inetOrgPerson
uid: stays

dn: uid=left,ou=staff,dc=la,dc=example
objectClass: inetOrgPerson
uid: left
employeeType: leaver

dn: uid=pupil,ou=pupils,dc=la,dc=example
objectClass: inetOrgPerson
uid: pupil

dn: cn=Staff,ou=groups,dc=la,dc=example
objectClass: group
cn: Staff
member: uid=stays,ou=staff,dc=la,dc=example
)";
  }
  void TearDown() override { fs::remove(path_); }

  std::vector<std::string> usernames(const SourceConfig& config) {
    auto source = make_source(config, clock_);
    EXPECT_TRUE(source.has_value());
    if (!source) return {};
    auto snapshot = (*source)->snapshot();
    EXPECT_TRUE(snapshot.has_value()) << snapshot.error().message;
    std::vector<std::string> out;
    if (snapshot) {
      for (const auto& user : snapshot->users) out.push_back(user.username);
      groups_ = snapshot->groups.size();
    }
    std::ranges::sort(out);
    return out;
  }

  SourceConfig ldif_config() const {
    SourceConfig c;
    c.name = "file";
    c.type = "ldif";
    c.file_path = path_.string();
    return c;
  }

  fs::path path_;
  ManualClock clock_;
  std::size_t groups_ = 0;
};

// Issue 14 item 1, through the config: an ldif source got every leaver its users filter
// excludes, and every entry outside its users base.
TEST_F(SourceFactoryTest, LdifSourceAppliesTheConfiguredUsersFilterAndBase) {
  SourceConfig c = ldif_config();
  EXPECT_THAT(usernames(c), ElementsAre("left", "pupil", "stays"));
  EXPECT_EQ(groups_, 1u);  // objectClass: group, by the shared default group filter

  c.users.filter = "(&(objectClass=inetOrgPerson)(!(employeeType=leaver)))";
  EXPECT_THAT(usernames(c), ElementsAre("pupil", "stays"));

  c.users.base = "ou=staff,dc=la,dc=example";
  EXPECT_THAT(usernames(c), ElementsAre("stays"));

  c.groups.base = "ou=elsewhere,dc=la,dc=example";
  usernames(c);
  EXPECT_EQ(groups_, 0u);
}

}  // namespace
}  // namespace trustgate
