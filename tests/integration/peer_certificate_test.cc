// Why a server certificate is refused, as test-connection names it: the slapd harness's real
// certificate (issued by its CA for IP:127.0.0.1 and DNS:localhost, valid three days) read
// off a real TLS session, then checked with a wrong CA, another host name and a later time.
#include "connectors/ldap/peer_certificate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "connectors/ldap/ldap_connection.h"
#include "tests/harness/ldap_test_directory.h"
#include "tests/harness/slapd.h"

namespace trustgate {
namespace {

using namespace std::chrono_literals;

class PeerCertificateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    slapd_ = std::make_unique<SlapdServer>();
    auto options = ldap_test::source_options(slapd_->ldaps_url(), false);
    options.ca_file = slapd_->ca_file();
    auto conn = LdapConnection::connect(options);
    ASSERT_TRUE(conn) << conn.error().message;
    der_ = peer_certificate_der(conn->get());
  }
  static void TearDownTestSuite() { slapd_.reset(); }

  static std::unique_ptr<SlapdServer> slapd_;
  static std::string der_;
};
std::unique_ptr<SlapdServer> PeerCertificateTest::slapd_;
std::string PeerCertificateTest::der_;

TEST_F(PeerCertificateTest, DescribesTheServersCertificate) {
  ASSERT_FALSE(der_.empty());
  auto cert = describe_certificate(der_, std::chrono::system_clock::now());
  ASSERT_TRUE(cert) << cert.error().message;
  EXPECT_EQ(cert->subject, "CN=localhost");
  EXPECT_FALSE(cert->issuer.empty());
  EXPECT_FALSE(cert->expired);
  EXPECT_EQ(cert->not_after.size(), 20u) << cert->not_after;  // 2026-12-07T04:45:00Z
  EXPECT_EQ(cert->names, (std::vector<std::string>{"IP:127.0.0.1", "DNS:localhost"}));
  EXPECT_TRUE(describe_certificate(der_, std::chrono::system_clock::now() + 30 * 24h)->expired);
}

TEST_F(PeerCertificateTest, TheRightCaAndNameAreNoProblem) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(certificate_problem(der_, slapd_->ca_file(), "127.0.0.1", now), "");
  EXPECT_EQ(certificate_problem(der_, slapd_->ca_file(), "localhost", now), "");
}

TEST_F(PeerCertificateTest, AWrongCaIsAnUnknownCa) {
  const std::string problem = certificate_problem(der_, slapd_->wrong_ca_file(), "127.0.0.1",
                                                  std::chrono::system_clock::now());
  EXPECT_TRUE(problem.starts_with("unknown CA: ")) << problem;
  EXPECT_NE(problem.find(slapd_->wrong_ca_file()), std::string::npos) << problem;
}

TEST_F(PeerCertificateTest, AnotherHostNameIsANameMismatch) {
  const std::string problem = certificate_problem(der_, slapd_->ca_file(), "ldap.la.example",
                                                  std::chrono::system_clock::now());
  EXPECT_TRUE(problem.starts_with("name mismatch: ")) << problem;
  EXPECT_NE(problem.find("DNS:localhost"), std::string::npos) << problem;
  EXPECT_NE(problem.find("'ldap.la.example'"), std::string::npos) << problem;
}

TEST_F(PeerCertificateTest, LaterThanItsExpiryIsExpired) {
  const std::string problem = certificate_problem(der_, slapd_->ca_file(), "127.0.0.1",
                                                  std::chrono::system_clock::now() + 30 * 24h);
  EXPECT_TRUE(problem.starts_with("expired: ")) << problem;
}

}  // namespace
}  // namespace trustgate
