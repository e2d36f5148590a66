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

#include <cctype>
#include <fstream>
#include <iterator>
#include <map>

#include "tests/e2e/api_e2e_fixture.h"
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

// The lists the MAT/LA site shows, the profile and the removal rules, on the richer directory of
// api_e2e_fixture.h.
namespace e2e {
namespace {

class ApiViewsE2eTest : public ApiE2eFixture {};

TEST_F(ApiViewsE2eTest, DropDownListsExactlyTheSchoolsEachUserMayLogInTo) {
  start();
  struct Case {
    std::string user;
    std::vector<std::string> schools;
  };
  for (const Case& c : {Case{"alice", {"100001", "100002"}}, Case{"erin", {"100003"}},
                        Case{"bob", {}}, Case{"carol", {}}, Case{"dave", {}}}) {
    SCOPED_TRACE(c.user);
    Reply r = call("GET", "/v1/users/" + c.user + "/institutions", site());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(ids_of(r.json->getArray("institutions")), c.schools);
  }
  Reply alice = call("GET", "/v1/users/alice/institutions", admin());
  ASSERT_EQ(alice.status, 200) << alice.body;
  EXPECT_EQ(alice.str("user"), kAliceId);
  auto first = alice.json->getArray("institutions")->getObject(0);
  EXPECT_EQ(first->getValue<std::string>("name"), "Alder Primary");
  EXPECT_EQ(first->getValue<std::string>("mis_url"), "https://alder.example/mis/");

  EXPECT_EQ(call("GET", "/v1/users/zed/institutions", site()).status, 404);
  EXPECT_EQ(call("GET", "/v1/users/alice/institutions", school("alder")).status, 403);
}

TEST_F(ApiViewsE2eTest, BrowseMarksTheSchoolsTheUserCanLogInTo) {
  start();
  auto can_log_in = [&](const std::string& user) {
    Reply r = call("GET", "/v1/institutions?user=" + user, site());
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, bool> out;
    auto list = r.json->getArray("institutions");
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto o = list->getObject(i);
      out[o->getValue<std::string>("id")] = o->getValue<bool>("can_log_in");
    }
    return out;
  };
  using Marks = std::map<std::string, bool>;
  EXPECT_EQ(can_log_in("alice"), (Marks{{"100001", true}, {"100002", true}, {"100003", false}}));
  EXPECT_EQ(can_log_in("erin"), (Marks{{"100001", false}, {"100002", false}, {"100003", true}}));
  // Associated through the cluster, but without the permission: no button anywhere.
  EXPECT_EQ(can_log_in("bob"), (Marks{{"100001", false}, {"100002", false}, {"100003", false}}));

  Reply all = call("GET", "/v1/institutions", site());
  ASSERT_EQ(all.status, 200) << all.body;
  auto list = all.json->getArray("institutions");
  EXPECT_EQ(ids_of(list), (std::vector<std::string>{"100001", "100002", "100003"}));
  EXPECT_FALSE(list->getObject(0)->has("can_log_in"));
  EXPECT_EQ(call("GET", "/v1/institutions?user=zed", site()).status, 404);
}

TEST_F(ApiViewsE2eTest, RemovingASchoolHeldThroughAClusterOrAGroupIs409NamingIt) {
  start();
  // Alder comes to alice through the cluster Primaries.
  Reply by_cluster =
      call("DELETE", "/v1/users/alice/associations?kind=institution&target=100001", admin());
  EXPECT_EQ(by_cluster.status, 409) << by_cluster.body;
  EXPECT_EQ(by_cluster.error_code(), "association_conflict");
  EXPECT_EQ(by_cluster.error()->getValue<std::string>("blocking_kind"), "cluster");
  EXPECT_EQ(by_cluster.error()->getValue<std::string>("blocking_name"), "primaries");
  EXPECT_NE(by_cluster.error()->getValue<std::string>("message").find("Primaries"),
            std::string::npos);

  // The cluster itself, and erin's Cedar, come from directory groups.
  Reply cluster =
      call("DELETE", "/v1/users/alice/associations?kind=cluster&target=primaries", admin());
  EXPECT_EQ(cluster.status, 409) << cluster.body;
  EXPECT_EQ(cluster.error()->getValue<std::string>("blocking_kind"), "group");
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  EXPECT_NE(
      lower(cluster.error()->getValue<std::string>("blocking_name")).find("cluster-primaries"),
      std::string::npos)
      << cluster.body;
  Reply group =
      call("DELETE", "/v1/users/erin/associations?kind=institution&target=100003", admin());
  EXPECT_EQ(group.status, 409) << group.body;
  EXPECT_EQ(group.error()->getValue<std::string>("blocking_kind"), "group");
  EXPECT_NE(lower(group.error()->getValue<std::string>("blocking_name")).find("school-cedar"),
            std::string::npos)
      << group.body;
  EXPECT_NE(lower(group.error()->getValue<std::string>("message")).find("school-cedar"),
            std::string::npos);

  // Nothing changed: both still log in.
  EXPECT_EQ(issue("alice", "100001").status, 201);
  EXPECT_EQ(issue("erin", "100003").status, 201);
  // Removal is for admin clients only.
  EXPECT_EQ(
      call("DELETE", "/v1/users/alice/associations?kind=institution&target=100001", site()).status,
      403);
}

TEST_F(ApiViewsE2eTest, ProfileSaysNotAssociatedWithAnyInstitutions) {
  start();
  Reply dave = call("GET", "/v1/users/dave", site());
  ASSERT_EQ(dave.status, 200) << dave.body;
  EXPECT_EQ(dave.str("message"), "Not associated with any institutions");
  EXPECT_EQ(dave.json->getArray("associations")->size(), 0u);
  EXPECT_EQ(dave.json->getArray("associated_institutions")->size(), 0u);
  auto pre = dave.json->getObject("preconditions");
  EXPECT_TRUE(pre->getValue<bool>("profile"));
  EXPECT_TRUE(pre->getValue<bool>("permission"));
  EXPECT_FALSE(pre->getValue<bool>("association"));
  EXPECT_FALSE(dave.json->getValue<bool>("can_log_in"));

  Reply alice = call("GET", "/v1/users/alice", site());
  ASSERT_EQ(alice.status, 200) << alice.body;
  EXPECT_TRUE(alice.json->isNull("message"));
  EXPECT_TRUE(alice.json->getValue<bool>("can_log_in"));
  EXPECT_EQ(string_set(alice.json->getArray("associated_institutions")),
            (std::set<std::string>{"100001", "100002"}));

  Reply carol = call("GET", "/v1/users/carol", site());
  ASSERT_EQ(carol.status, 200) << carol.body;
  EXPECT_FALSE(carol.json->getObject("preconditions")->getValue<bool>("profile"));
  EXPECT_FALSE(carol.json->getValue<bool>("can_log_in"));
}

class ApiHostileInputE2eTest : public ApiE2eFixture {
 protected:
  // A 4xx with a JSON error body carrying a machine code and a message.
  void expect_json_error(const Reply& r, int status, const std::string& code = "") {
    EXPECT_EQ(r.status, status) << r.body;
    ASSERT_TRUE(r.error()) << r.body;
    EXPECT_FALSE(r.error_code().empty());
    EXPECT_TRUE(r.error()->has("message"));
    if (!code.empty()) {
      EXPECT_EQ(r.error_code(), code) << r.body;
    }
  }
};

TEST_F(ApiHostileInputE2eTest, HostileBodiesAndIdsGetJsonErrorsAndTheDaemonKeepsServing) {
  start();
  const std::string now = std::to_string(unix_now());
  auto post = [&](const std::string& body, const std::string& type = "application/json") {
    return call("POST", "/v1/handoffs", site(), body, type);
  };
  expect_json_error(post("{not json"), 400, "malformed_json");
  expect_json_error(post("[1,2,3]"), 400, "malformed_json");
  expect_json_error(post(""), 400, "malformed_json");
  expect_json_error(post(std::string(2000, '[')), 400, "malformed_json");
  expect_json_error(post("{\"user\":\"al\xff\xfeice\",\"institution\":\"100001\"}"), 400,
                    "invalid_utf8");
  expect_json_error(post("{\"user\":\"\xc0\xaf\"}"), 400, "invalid_utf8");  // overlong '/'
  expect_json_error(post(std::string(5000, ' ') + "{}"), 413, "payload_too_large");
  expect_json_error(post("{}", "text/plain"), 415, "unsupported_media_type");
  expect_json_error(post("{}", ""), 415, "unsupported_media_type");
  // Odd field values.
  expect_json_error(
      post(R"({"user":"alice","institution":"100001","mfa":"yes","auth_time":)" + now + "}"), 400,
      "invalid_field");
  expect_json_error(post(R"({"user":"alice","institution":"100001","auth_time":1e300})"), 400);
  expect_json_error(post(R"({"user":"alice","institution":"100001","auth_time":"soon"})"), 400);
  expect_json_error(post(R"({"user":"alice","institution":"100001","auth_time":)" +
                         std::to_string(unix_now() + 86400) + "}"),
                    400, "invalid_field");
  expect_json_error(post(R"({"user":"alice","institution":"100001"})"), 400, "missing_field");
  expect_json_error(
      post(R"({"user":"al\u0000ice","institution":"100001","auth_time":)" + now + "}"), 400,
      "invalid_field");
  expect_json_error(post(R"({"user":")" + std::string(300, 'a') +
                         R"(","institution":"100001","auth_time":)" + now + "}"),
                    400, "invalid_field");
  expect_json_error(
      post(R"({"user":{"id":"alice"},"institution":"100001","auth_time":)" + now + "}"), 400,
      "invalid_field");
  // An odd but valid id is just an unknown user.
  Reply traversal =
      post(R"({"user":"../../etc/passwd","institution":"100001","auth_time":)" + now + "}");
  expect_json_error(traversal, 403, "access_denied");
  EXPECT_EQ(traversal.error()->getValue<std::string>("reason"), "unknown_user");
  expect_json_error(call("POST", "/v1/handoffs/redeem", school("alder"), R"({"ticket":42})"), 400,
                    "invalid_field");
  expect_json_error(call("POST", "/v1/handoffs/redeem", school("alder"),
                         R"({"ticket":")" + std::string(600, 'A') + R"("})"),
                    400, "invalid_field");

  // Odd ids in paths and queries.
  for (const std::string& target :
       {std::string("/v1/users/%00"), std::string("/v1/users/%ff%fe"), std::string("/v1/users/%zz"),
        std::string("/v1/users/..%2f..%2fetc"), std::string("/v1/users/") + std::string(300, 'a'),
        std::string("/v1/institutions?user=alice&user=bob"), std::string("/v1/explain?user=%01")}) {
    SCOPED_TRACE(target);
    expect_json_error(call("GET", target, site()), 400);
  }
  expect_json_error(call("GET", "/v1/users/..", site()), 400);
  expect_json_error(call("GET", "/v1/nowhere", site()), 404, "not_found");
  expect_json_error(call("PUT", "/v1/handoffs", site(), "{}"), 405, "method_not_allowed");

  // A chunked body larger than the limit (no Content-Length to refuse it up front).
  try {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(daemon_->port()));
    s.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req("POST", "/v1/handoffs", "HTTP/1.1");
    req.set("Authorization", site());
    req.setContentType("application/json");
    req.setChunkedTransferEncoding(true);
    std::ostream& out = s.sendRequest(req);
    out << "{\"user\":\"" << std::string(20000, 'a') << "\"}";
    Poco::Net::HTTPResponse resp;
    std::istream& in = s.receiveResponse(resp);
    std::string body;
    Poco::StreamCopier::copyToString(in, body);
    EXPECT_EQ(resp.getStatus(), 413) << body;
  } catch (const std::exception&) {
    // The server may close while the client is still sending; what matters is below.
  }
  // Raw junk: a huge header and a request line that is no HTTP at all.
  for (const std::string& junk :
       {std::string("GET / HTTP/1.1\r\nX-Big: ") + std::string(200000, 'x') + "\r\n\r\n",
        std::string("\x00\x01\x02 nonsense\r\n\r\n", 16)}) {
    try {
      Poco::Net::StreamSocket raw(
          Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(daemon_->port())));
      raw.sendBytes(junk.data(), static_cast<int>(junk.size()));
      char buf[512];
      raw.setReceiveTimeout(Poco::Timespan(5, 0));
      (void)raw.receiveBytes(buf, sizeof buf);
    } catch (...) {
    }
  }

  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(call("GET", "/healthz", "").status, 200);
  Reply r = redeem(ticket_for("alice", "100001"), school("alder"));
  EXPECT_TRUE(r.active()) << r.body;
}

}  // namespace
}  // namespace e2e
}  // namespace trustgate
