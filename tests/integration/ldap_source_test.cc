// LdapSource full reads against a real slapd: paging, membership kinds, TLS, errors.
#include "connectors/ldap/ldap_source.h"

#include <gtest/gtest.h>
#include <lber.h>
#include <ldap.h>

#include <memory>

#include "connectors/ldap/ldap_connection.h"
#include "tests/harness/ldap_test_directory.h"
#include "tests/harness/slapd.h"

namespace trustgate {
namespace {

using namespace ldap_test;

constexpr int kUsers = 120;

class LdapSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SlapdOptions options;
    options.ldif = directory_ldif(kUsers);
    // Unpaged searches of more than 50 entries fail; paged ones may read everything.
    options.size_limit = "size.soft=50 size.hard=50 size.prtotal=unlimited";
    slapd_ = std::make_unique<SlapdServer>(options);
  }
  static void TearDownTestSuite() { slapd_.reset(); }

  static std::unique_ptr<SlapdServer> slapd_;
};
std::unique_ptr<SlapdServer> LdapSourceTest::slapd_;

TEST_F(LdapSourceTest, FullSyncReadsEveryPageBeyondTheServerSizeLimit) {
  auto options = source_options(slapd_->ldap_url(), /*incremental=*/false);
  options.page_size = 25;  // 120 users in 5 pages; the server refuses more than 50 unpaged
  LdapSource source(options);
  std::vector<std::size_t> progress;
  auto snap = source.snapshot([&](std::size_t n) { progress.push_back(n); });
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->source, "openldap");
  EXPECT_EQ(snap->users.size(), static_cast<std::size_t>(kUsers));
  EXPECT_EQ(snap->groups.size(), 4u);
  EXPECT_EQ(snap->malformed_entries, 1u);  // cn=No Uid has no uid
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), static_cast<std::size_t>(kUsers + 1 + 4));
  const auto* user = find_user_by_name(*snap, "user0042");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->dn, user_dn(42));
  EXPECT_EQ(user->display_name, "User 42");
  EXPECT_EQ(user->email, "user0042@la.example");
  EXPECT_TRUE(user->enabled);
  EXPECT_EQ(user->id.size(), 36u) << "entryUUID in string form: " << user->id;
}

TEST_F(LdapSourceTest, MembershipOfEveryGroupKindAndNesting) {
  LdapSource source(source_options(slapd_->ldap_url(), false));
  auto snap = source.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  std::vector<std::string> staff;
  for (int i = 1; i <= 5; ++i) staff.push_back(user_dn(i));
  std::sort(staff.begin(), staff.end());
  EXPECT_EQ(members(*snap, "staff"), staff);
  EXPECT_EQ(members(*snap, "heads"), std::vector<std::string>{user_dn(2)});
  const auto* posix = find_group(*snap, "posix");
  ASSERT_NE(posix, nullptr);
  EXPECT_EQ(posix->member_uids, std::vector<std::string>{"user0003"});
  EXPECT_TRUE(posix->member_dns.empty());
  EXPECT_EQ(members(*snap, "all-staff"),
            (std::vector<std::string>{group_dn("heads"), group_dn("staff")}));
  EXPECT_EQ(find_group(*snap, "staff")->description, "All staff");
}

TEST_F(LdapSourceTest, StartTlsWithTheRightCaWorks) {
  auto options = source_options(slapd_->ldap_url(), false);
  options.start_tls = true;
  options.ca_file = slapd_->ca_file();
  LdapSource source(options);
  auto snap = source.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->users.size(), static_cast<std::size_t>(kUsers));
}

TEST_F(LdapSourceTest, LdapsWithTheRightCaWorks) {
  auto options = source_options(slapd_->ldaps_url(), false);
  options.ca_file = slapd_->ca_file();
  LdapSource source(options);
  auto snap = source.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->users.size(), static_cast<std::size_t>(kUsers));
}

// Each connection reads through liblber's read-ahead layer (below TLS when there is TLS), so a
// search costs a read() per buffer, not two per entry; and entries still come through whole.
TEST_F(LdapSourceTest, ConnectionsReadAheadInPlainStartTlsAndLdaps) {
  auto plain = source_options(slapd_->ldap_url(), false);
  auto start_tls = plain;
  start_tls.start_tls = true;
  start_tls.ca_file = slapd_->ca_file();
  auto ldaps = source_options(slapd_->ldaps_url(), false);
  ldaps.ca_file = slapd_->ca_file();
  for (const auto& options : {plain, start_tls, ldaps}) {
    SCOPED_TRACE(options.url + (options.start_tls ? " StartTLS" : ""));
    auto conn = LdapConnection::open(options);
    ASSERT_TRUE(conn) << conn.error().message;
    Sockbuf* sb = nullptr;
    ASSERT_EQ(ldap_get_option(conn->get(), LDAP_OPT_SOCKBUF, &sb), LDAP_OPT_SUCCESS);
    EXPECT_EQ(ber_sockbuf_ctrl(sb, LBER_SB_OPT_HAS_IO, &ber_sockbuf_io_readahead), 1);
    LDAPMessage* result = nullptr;
    ASSERT_EQ(ldap_search_ext_s(conn->get(), kPeople, LDAP_SCOPE_ONELEVEL, "(uid=user004*)",
                                nullptr, 0, nullptr, nullptr, nullptr, 0, &result),
              LDAP_SUCCESS);
    EXPECT_EQ(ldap_count_entries(conn->get(), result), 10);
    ldap_msgfree(result);
  }
}

void expect_tls_verification_failure(const Result<DirectorySnapshot>& snap) {
  ASSERT_FALSE(snap);
  EXPECT_EQ(snap.error().code, "ldap.tls");
  EXPECT_NE(snap.error().message.find("TLS certificate verification failed"), std::string::npos)
      << snap.error().message;
}

TEST_F(LdapSourceTest, StartTlsWithAWrongCaFailsWithAClearError) {
  auto options = source_options(slapd_->ldap_url(), false);
  options.start_tls = true;
  options.ca_file = slapd_->wrong_ca_file();
  LdapSource source(options);
  expect_tls_verification_failure(source.snapshot());
}

TEST_F(LdapSourceTest, LdapsWithAWrongCaFailsWithAClearError) {
  auto options = source_options(slapd_->ldaps_url(), false);
  options.ca_file = slapd_->wrong_ca_file();
  LdapSource source(options);
  expect_tls_verification_failure(source.snapshot());
  // The same failure on the incremental path.
  options.incremental = true;
  LdapSource incremental(options);
  expect_tls_verification_failure(incremental.snapshot());
}

TEST_F(LdapSourceTest, TlsVerifyOffAcceptsAnUnknownCa) {
  auto options = source_options(slapd_->ldaps_url(), false);
  options.ca_file = slapd_->wrong_ca_file();
  options.tls_verify = false;
  LdapSource source(options);
  auto snap = source.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
}

TEST_F(LdapSourceTest, SearchBaseThatDoesNotExistIsNoSuchObject) {
  // Users and groups are read at once on two connections (full reads): a failure of either
  // search fails the read. (A missing groups base is checked on the full read only: this
  // fixture's size limit of 50 stops the unpaged sync search of the users first.)
  for (bool groups : {false, true}) {
    for (bool incremental : {false, true}) {
      if (groups && incremental) continue;
      auto options = source_options(slapd_->ldap_url(), incremental);
      (groups ? options.groups.base : options.users.base) = "ou=nobody,dc=la,dc=example";
      LdapSource source(options);
      auto snap = source.snapshot();
      ASSERT_FALSE(snap) << "incremental=" << incremental << " groups=" << groups;
      EXPECT_EQ(snap.error().code, "ldap.search");
      EXPECT_NE(snap.error().message.find("No such object"), std::string::npos)
          << snap.error().message;
    }
  }
}

TEST_F(LdapSourceTest, WrongPasswordFailsToBindWithoutRevealingIt) {
  auto options = source_options(slapd_->ldap_url(), false);
  options.bind_password = "not-the-password";
  LdapSource source(options);
  auto snap = source.snapshot();
  ASSERT_FALSE(snap);
  EXPECT_EQ(snap.error().code, "ldap.bind");
  EXPECT_NE(snap.error().message.find("Invalid credentials"), std::string::npos)
      << snap.error().message;
  EXPECT_EQ(snap.error().message.find("not-the-password"), std::string::npos);
}

TEST_F(LdapSourceTest, UnreachableServerIsAConnectError) {
  auto options = source_options("ldap://127.0.0.1:1", false);
  options.timeout = std::chrono::seconds{5};
  LdapSource source(options);
  auto snap = source.snapshot();
  ASSERT_FALSE(snap);
  EXPECT_EQ(snap.error().code, "ldap.connect");
}

TEST_F(LdapSourceTest, SaslExternalOverLdapiWorks) {
  auto options = source_options(slapd_->ldapi_url(), false);
  options.bind_dn.clear();
  options.bind_password.clear();
  options.sasl_external = true;
  LdapSource source(options);
  auto snap = source.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->users.size(), static_cast<std::size_t>(kUsers));
}

TEST(LdapSourceLimitsTest, SizeLimitExceededMidSearchFailsTheWholeSnapshot) {
  SlapdOptions server_options;
  server_options.ldif = directory_ldif(kUsers);
  // Paged searches may return at most 60 entries in total: the server stops after some pages.
  server_options.size_limit = "size.soft=50 size.hard=50 size.prtotal=60";
  SlapdServer slapd(server_options);
  auto options = source_options(slapd.ldap_url(), false);
  options.page_size = 25;
  LdapSource source(options);
  auto snap = source.snapshot();
  ASSERT_FALSE(snap) << "got a partial snapshot of " << snap->users.size() << " users";
  EXPECT_EQ(snap.error().code, "ldap.search");
  EXPECT_NE(snap.error().message.find("Size limit exceeded"), std::string::npos)
      << snap.error().message;
}

}  // namespace
}  // namespace trustgate
