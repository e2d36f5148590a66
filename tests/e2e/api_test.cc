// The handoff and the HTTP API against the real trustgated binary: a directory in LDIF, the
// daemon on a free loopback port, requests over HTTP.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "tests/harness/daemon_process.h"

namespace trustgate {
namespace {

using testing::DaemonOptions;
using testing::DaemonProcess;

constexpr char kSiteSecret[] = "e2e-site-secret-0123456789";
constexpr char kSchoolSecret[] = "e2e-school-secret-0123456789";
constexpr char kAdminSecret[] = "e2e-admin-secret-0123456789";

constexpr char kLdif[] = R"(dn: dc=la,dc=example
objectClass: dcObject
objectClass: organization
dc: la
o: Example LA

dn: uid=alice,ou=people,dc=la,dc=example
objectClass: inetOrgPerson
uid: alice
cn: Alice Adams
sn: Adams
mail: alice@la.example
entryUUID: 11111111-1111-1111-1111-111111111111

dn: uid=bob,ou=people,dc=la,dc=example
objectClass: inetOrgPerson
uid: bob
cn: Bob Brown
sn: Brown
mail: bob@la.example
entryUUID: 22222222-2222-2222-2222-222222222222

dn: cn=MIS-Users,ou=groups,dc=la,dc=example
objectClass: groupOfNames
cn: MIS-Users
entryUUID: 33333333-3333-3333-3333-333333333333
member: uid=alice,ou=people,dc=la,dc=example

dn: cn=Cluster-Primaries,ou=groups,dc=la,dc=example
objectClass: groupOfNames
cn: Cluster-Primaries
entryUUID: 44444444-4444-4444-4444-444444444444
member: uid=alice,ou=people,dc=la,dc=example
member: uid=bob,ou=people,dc=la,dc=example
)";

constexpr char kMapping[] = R"(
[[role]]
id = "mat-staff"
name = "MAT staff"
permissions = ["mis.login.associated_institutions"]

[[institution]]
id = "100001"
name = "Alder Primary"
mis_url = "https://alder.example/mis/"
skip_second_factor = "when_mfa"

[[institution]]
id = "100002"
name = "Birch Primary"
mis_url = "https://birch.example/mis/"
skip_second_factor = "always"

[[institution]]
id = "100003"
name = "Cedar Secondary"
mis_url = "https://cedar.example/mis/"

[[cluster]]
id = "primaries"
name = "Primaries"
institutions = ["100001", "100002"]

[[rule]]
id = "mis-users"
group_dn = "cn=MIS-Users,ou=groups,dc=la,dc=example"
roles = ["mat-staff"]

[[rule]]
id = "cluster-primaries"
group_dn = "cn=Cluster-Primaries,ou=groups,dc=la,dc=example"
clusters = ["primaries"]
)";

struct Reply {
  int status = -1;
  std::string body;
  Poco::JSON::Object::Ptr json;
};

class ApiE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DaemonOptions o;
    o.ldif = kLdif;
    o.mapping_toml = kMapping;
    o.clients = {{"mat-site", "site", "", kSiteSecret},
                 {"alder", "school", "100001", kSchoolSecret},
                 {"ops", "admin", "", kAdminSecret}};
    o.max_body_bytes = 4096;
    daemon_ = std::make_unique<DaemonProcess>(o);
    ASSERT_TRUE(daemon_->wait_ready()) << daemon_->log();
  }

  Reply call(const std::string& method, const std::string& target, const std::string& auth,
             const std::string& body = "", const std::string& type = "application/json") {
    Reply r;
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(daemon_->port()));
    s.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!auth.empty()) req.set("Authorization", auth);
    if (method == "POST") {
      req.setContentType(type);
      req.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    s.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = s.receiveResponse(resp);
    r.status = resp.getStatus();
    Poco::StreamCopier::copyToString(in, r.body);
    if (resp.getContentType().starts_with("application/json")) {
      Poco::JSON::Parser p;
      r.json = p.parse(r.body).extract<Poco::JSON::Object::Ptr>();
    }
    return r;
  }
  static std::string site() { return std::string("Bearer mat-site:") + kSiteSecret; }
  static std::string school() { return std::string("Bearer alder:") + kSchoolSecret; }
  static std::string admin() { return std::string("Bearer ops:") + kAdminSecret; }
  Reply issue(const std::string& user, const std::string& inst) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return call("POST", "/v1/handoffs", site(),
                R"({"user":")" + user + R"(","institution":")" + inst +
                    R"(","mfa":true,"auth_time":)" + std::to_string(now - 5) + "}");
  }
  Reply redeem(const std::string& ticket) {
    return call("POST", "/v1/handoffs/redeem", school(), R"({"ticket":")" + ticket + R"("})");
  }

  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(ApiE2eTest, HandoffIssuedBySiteIsRedeemedOnceBySchool) {
  Reply t = issue("alice", "100001");
  ASSERT_EQ(t.status, 201) << t.body << daemon_->log();
  const std::string ticket = t.json->getValue<std::string>("ticket");
  EXPECT_EQ(t.json->getValue<std::string>("redirect_url"), "https://alder.example/mis/");

  Reply r = redeem(ticket);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.json->getValue<bool>("active")) << r.body;
  EXPECT_EQ(r.json->getObject("user")->getValue<std::string>("username"), "alice");
  EXPECT_EQ(r.json->getObject("institution")->getValue<std::string>("id"), "100001");
  EXPECT_TRUE(r.json->getValue<bool>("skip_second_factor"));
  EXPECT_NE(r.json->getObject("granted_via")->getValue<std::string>("path").find("Primaries"),
            std::string::npos);

  Reply again = redeem(ticket);
  EXPECT_FALSE(again.json->getValue<bool>("active"));
}

TEST_F(ApiE2eTest, TicketNeverReachesTheLogOrTheDatabaseFiles) {
  Reply t = issue("alice", "100001");
  ASSERT_EQ(t.status, 201) << t.body;
  const std::string ticket = t.json->getValue<std::string>("ticket");
  redeem(ticket);
  EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();
  EXPECT_EQ(daemon_->log().find(ticket), std::string::npos);
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(daemon_->dir())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(bytes.find(ticket), std::string::npos) << entry.path();
  }
  EXPECT_GE(files, 3);  // at least the config, the store and the handoff database
}

TEST_F(ApiE2eTest, DeniedUsersGetNoTicketAndTheDropDownIsExact) {
  Reply bob = issue("bob", "100001");
  EXPECT_EQ(bob.status, 403);
  EXPECT_EQ(bob.json->getObject("error")->getValue<std::string>("reason"), "no_login_permission");
  Reply cedar = issue("alice", "100003");
  EXPECT_EQ(cedar.json->getObject("error")->getValue<std::string>("reason"), "not_associated");

  Reply drop = call("GET", "/v1/users/alice/institutions", site());
  ASSERT_EQ(drop.status, 200) << drop.body;
  EXPECT_EQ(drop.json->getArray("institutions")->size(), 2u);
}

TEST_F(ApiE2eTest, ManualAssociationSurvivesARestartAndTheClusterRuleHolds) {
  Reply add = call("POST", "/v1/users/alice/associations", admin(),
                   R"({"kind":"institution","target":"100003"})");
  ASSERT_EQ(add.status, 201) << add.body;
  EXPECT_EQ(issue("alice", "100003").status, 201);
  Reply conflict =
      call("DELETE", "/v1/users/alice/associations?kind=institution&target=100001", admin());
  EXPECT_EQ(conflict.status, 409) << conflict.body;

  daemon_->restart();
  ASSERT_TRUE(daemon_->wait_ready()) << daemon_->log();
  EXPECT_EQ(issue("alice", "100003").status, 201);
}

TEST_F(ApiE2eTest, HostileInputIsRefusedAndTheDaemonKeepsRunning) {
  EXPECT_EQ(call("POST", "/v1/handoffs", site(), "{not json").status, 400);
  EXPECT_EQ(call("POST", "/v1/handoffs", site(), std::string(10000, 'x')).status, 413);
  EXPECT_EQ(call("POST", "/v1/handoffs", site(), "{}", "text/plain").status, 415);
  EXPECT_EQ(call("GET", "/v1/users/%00", site()).status, 400);
  EXPECT_EQ(call("GET", "/v1/clusters", "").status, 401);
  EXPECT_EQ(call("GET", "/v1/clusters", school()).status, 403);
  try {
    Poco::Net::StreamSocket raw(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(daemon_->port())));
    const std::string junk = "\x16\x03\x01 garbage \r\n\r\n";
    raw.sendBytes(junk.data(), static_cast<int>(junk.size()));
  } catch (...) {
  }
  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(call("GET", "/healthz", "").status, 200);
}

}  // namespace
}  // namespace trustgate
