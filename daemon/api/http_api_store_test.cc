// The router and handlers driven through a real HTTPServer on 127.0.0.1 (port 0), with the
// ticket store and audit log on a real SQLite file. Includes hostile inputs: the server must
// answer each with a 4xx JSON error and keep serving.
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "daemon/api/http_server.h"
#include "daemon/http/api_json.h"
#include "daemon/testing/handoff_world.h"
#include "daemon/testing/la_fixtures.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace trustgate {
namespace {

using namespace api_testing;

// Manual associations kept in memory; the snapshot is rebuilt from them after each change.
class MemoryManual final : public ManualAssociationStore {
 public:
  Result<void> add(const ManualAssociation& a) override {
    for (const auto& m : list) {
      if (m.user_id == a.user_id && m.kind == a.kind && m.target == a.target) return {};
    }
    list.push_back(a);
    return {};
  }
  Result<bool> remove(const std::string& user, AssociationKind kind,
                      const std::string& target) override {
    auto n = std::erase_if(list, [&](const ManualAssociation& m) {
      return m.user_id == user && m.kind == kind && m.target == target;
    });
    return n > 0;
  }
  std::vector<ManualAssociation> list;
};

struct Reply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string www_authenticate;
  std::string retry_after;
  Poco::JSON::Object::Ptr json;
  std::string error_code() const {
    if (!json || !json->has("error")) return "";
    return json->getObject("error")->getValue<std::string>("code");
  }
};

class HttpApiTest : public ::testing::Test, protected HandoffWorld {
 protected:
  void SetUp() override {
    ctx_ = std::make_unique<ApiContext>(
        ApiContext{holder_, clients_, *handoffs_, *audit_, metrics_, clock_, &manual_, [this] {
                     holder_.set(la_snapshot(1, la_model(), manual_.list));
                     return Result<void>{};
                   }});
    HttpConfig http;
    http.listen = "127.0.0.1:0";
    http.max_body_bytes = 4096;
    http.threads = 4;
    auto server = ApiServer::start(http, *ctx_);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  Reply call(const std::string& method, const std::string& target, const std::string& auth = "",
             const std::string& body = "", const std::string& content_type = "application/json") {
    Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!auth.empty()) req.set("Authorization", auth);
    if (!body.empty() || method == "POST") {
      req.setContentType(content_type);
      req.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    Reply r;
    r.status = resp.getStatus();
    r.content_type = resp.getContentType();
    r.www_authenticate = resp.get("WWW-Authenticate", "");
    r.retry_after = resp.get("Retry-After", "");
    Poco::StreamCopier::copyToString(in, r.body);
    if (r.content_type.starts_with("application/json")) {
      Poco::JSON::Parser p;
      r.json = p.parse(r.body).extract<Poco::JSON::Object::Ptr>();
    }
    return r;
  }
  static std::string bearer(const std::string& id, const char* secret) {
    return "Bearer " + id + ":" + secret;
  }
  std::string site() { return bearer("mat-site", kSiteSecret); }
  std::string admin() { return bearer("ops", kAdminSecret); }
  std::string school(const std::string& id) {
    return bearer(id, id == "alder" ? kAlderSecret : kBirchSecret);
  }
  Reply issue(const std::string& user, const std::string& inst, bool mfa = false) {
    return call("POST", "/v1/handoffs", site(),
                fmt::format(R"({{"user":"{}","institution":"{}","mfa":{},"auth_time":{}}})", user,
                            inst, mfa, unix_seconds(clock_.now()) - 10));
  }
  Reply redeem(const std::string& school_id, const std::string& ticket) {
    auto o = json_object();
    o->set("ticket", ticket);
    return call("POST", "/v1/handoffs/redeem", school(school_id), to_json(o));
  }
  // Sends raw bytes and returns the raw answer (whatever it is).
  std::string raw(const std::string& bytes) {
    std::string out;
    try {
      Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_->port()));
      s.setReceiveTimeout(Poco::Timespan(10, 0));
      s.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
      s.shutdownSend();
      char buf[4096];
      int n;
      while ((n = s.receiveBytes(buf, sizeof buf)) > 0) out.append(buf, n);
    } catch (...) {
      // The server may reset the connection: that is an acceptable answer to garbage.
    }
    return out;
  }
  void expect_still_serving() {
    Reply r = call("GET", "/healthz");
    EXPECT_EQ(r.status, 200);
  }
  void expect_json_error(const Reply& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    ASSERT_TRUE(r.json) << r.body;
    EXPECT_EQ(r.error_code(), code) << r.body;
    EXPECT_TRUE(r.json->getObject("error")->has("message"));
  }

  Metrics metrics_{clock_};
  MemoryManual manual_;
  std::unique_ptr<ApiContext> ctx_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(HttpApiTest, HealthzAlwaysAndReadyzOnlyWithASnapshot) {
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  EXPECT_EQ(call("GET", "/readyz").status, 200);
  holder_.set(nullptr);
  expect_json_error(call("GET", "/readyz"), 503, "not_ready");
  expect_json_error(call("GET", "/v1/clusters", site()), 503, "not_ready");
}

TEST_F(HttpApiTest, IssueAndRedeemEndToEnd) {
  Reply t = issue("alice", "100002", true);
  ASSERT_EQ(t.status, 201) << t.body;
  const std::string ticket = t.json->getValue<std::string>("ticket");
  EXPECT_EQ(ticket.size(), 43u);
  EXPECT_EQ(t.json->getValue<std::string>("redirect_url"), "https://birch.example/mis");
  EXPECT_EQ(t.json->getValue<std::int64_t>("expires_at"), unix_seconds(clock_.now()) + 30);

  Reply r = redeem("birch", ticket);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json->getValue<bool>("active"));
  EXPECT_EQ(r.json->getObject("user")->getValue<std::string>("id"), "id-alice");
  EXPECT_EQ(r.json->getObject("user")->getValue<std::string>("username"), "alice");
  EXPECT_EQ(r.json->getObject("institution")->getValue<std::string>("name"), "Birch Primary");
  auto roles = r.json->getArray("roles");
  ASSERT_EQ(roles->size(), 1u);
  EXPECT_EQ(roles->getObject(0)->getValue<std::string>("id"), "teacher");
  auto perms = r.json->getArray("permissions");
  ASSERT_EQ(perms->size(), 2u);
  EXPECT_EQ(perms->getElement<std::string>(0), std::string(kLoginPermission));
  auto via = r.json->getObject("granted_via");
  EXPECT_NE(via->getValue<std::string>("path").find("Primaries"), std::string::npos);
  EXPECT_EQ(via->getObject("association")->getValue<std::string>("kind"), "cluster");
  EXPECT_TRUE(r.json->getValue<bool>("skip_second_factor"));
  EXPECT_TRUE(r.json->getValue<bool>("mfa"));
  EXPECT_EQ(r.json->getValue<std::int64_t>("revision"), 1);
  EXPECT_TRUE(r.json->has("data_as_of"));
  EXPECT_TRUE(r.json->has("auth_time"));
  EXPECT_EQ(r.json->getValue<std::string>("decision_id").size(), 32u);

  // Once only.
  Reply again = redeem("birch", ticket);
  EXPECT_EQ(again.status, 200);
  EXPECT_FALSE(again.json->getValue<bool>("active"));
}

TEST_F(HttpApiTest, FailedRedeemSaysOnlyNotActive) {
  Reply t = issue("alice", "100001");
  Reply r = redeem("birch", t.json->getValue<std::string>("ticket"));
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.json->getValue<bool>("active"));
  std::vector<std::string> names = r.json->getNames();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"active", "decision_id"}));
  // The reason is in the audit log under the decision id.
  AuditQuery q;
  q.actions = {"redeem"};
  auto events = *audit_->query(q);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].decision_id, r.json->getValue<std::string>("decision_id"));
  EXPECT_EQ(events[0].reason, handoff_reason::kWrongInstitution);
}

TEST_F(HttpApiTest, DeniedIssueIs403WithTheReasonCode) {
  Reply r = issue("dave", "100001");
  expect_json_error(r, 403, "access_denied");
  EXPECT_EQ(r.json->getObject("error")->getValue<std::string>("reason"), "not_associated");
  EXPECT_FALSE(r.json->has("ticket"));
}

TEST_F(HttpApiTest, IssueValidatesItsFields) {
  expect_json_error(call("POST", "/v1/handoffs", site(), R"({"user":"alice"})"), 400,
                    "missing_field");
  expect_json_error(call("POST", "/v1/handoffs", site(),
                         R"({"user":"alice","institution":"100001","auth_time":"soon"})"),
                    400, "invalid_field");
  expect_json_error(call("POST", "/v1/handoffs", site(),
                         R"({"user":"alice","institution":"100001","mfa":"yes","auth_time":1})"),
                    400, "invalid_field");
  expect_json_error(call("POST", "/v1/handoffs", site(),
                         fmt::format(R"({{"user":"alice","institution":"100001","auth_time":{}}})",
                                     unix_seconds(clock_.now()) + 3600)),
                    400, "invalid_field");
  expect_json_error(call("POST", "/v1/handoffs", site(),
                         R"({"user":"al\u0000ice","institution":"100001","auth_time":1})"),
                    400, "invalid_field");
}

TEST_F(HttpApiTest, CallersAreAuthenticatedAndLimitedToTheirKind) {
  Reply none = call("GET", "/v1/clusters");
  expect_json_error(none, 401, "unauthorized");
  EXPECT_NE(none.www_authenticate.find("Bearer"), std::string::npos);
  EXPECT_NE(none.www_authenticate.find("Basic"), std::string::npos);
  expect_json_error(call("GET", "/v1/clusters", bearer("mat-site", kAdminSecret)), 401,
                    "unauthorized");
  expect_json_error(call("GET", "/v1/clusters", "Bearer garbage"), 401, "unauthorized");
  // Kinds.
  expect_json_error(call("GET", "/v1/clusters", school("alder")), 403, "forbidden");
  expect_json_error(call("POST", "/v1/handoffs", school("alder"), "{}"), 403, "forbidden");
  // Redeem answers any client; another kind than school is a failed redeem (see
  // ARedeemByANonSchoolClientIsAuditedAndBurnsTheTicket).
  EXPECT_FALSE(call("POST", "/v1/handoffs/redeem", site(), R"({"ticket":"x"})")
                   .json->getValue<bool>("active"));
  expect_json_error(call("POST", "/v1/users/alice/associations", site(),
                         R"({"kind":"institution","target":"100003"})"),
                    403, "forbidden");
  EXPECT_EQ(call("GET", "/v1/clusters", admin()).status, 200);
}

TEST_F(HttpApiTest, HostileBodiesGet4xxJsonAndTheServerKeepsServing) {
  expect_json_error(call("POST", "/v1/handoffs", site(), "{\"user\": "), 400, "malformed_json");
  expect_json_error(call("POST", "/v1/handoffs", site(), "[1,2,3]"), 400, "malformed_json");
  expect_json_error(call("POST", "/v1/handoffs", site(), "{} trailing"), 400, "malformed_json");
  expect_json_error(call("POST", "/v1/handoffs", site(), std::string(5000, '{')), 413,
                    "payload_too_large");
  expect_json_error(call("POST", "/v1/handoffs", site(), std::string(3000, '[')), 400,
                    "malformed_json");
  expect_json_error(call("POST", "/v1/handoffs", site(), "{\"user\":\"\xff\xfe\"}"), 400,
                    "invalid_utf8");
  expect_json_error(call("POST", "/v1/handoffs", site(), "{\"user\":\"\xc0\xaf\"}"), 400,
                    "invalid_utf8");
  expect_json_error(call("POST", "/v1/handoffs", site(), R"({"user":"alice"})", "text/plain"), 415,
                    "unsupported_media_type");
  expect_json_error(
      call("POST", "/v1/handoffs", site(), R"(user=alice)", "application/x-www-form-urlencoded"),
      415, "unsupported_media_type");
  expect_json_error(call("POST", "/v1/handoffs/redeem", school("alder"), R"({"ticket":42})"), 400,
                    "invalid_field");
  expect_json_error(call("POST", "/v1/handoffs/redeem", school("alder"),
                         "{\"ticket\":\"" + std::string(600, 'A') + "\"}"),
                    400, "invalid_field");
  expect_still_serving();
}

TEST_F(HttpApiTest, OddIdsInPathsAndQueriesAreRefused) {
  for (const std::string target :
       {"/v1/users/..%2F..%2Fetc%2Fpasswd", "/v1/users/%00", "/v1/users/a%00b", "/v1/users/..",
        "/v1/users/%2e%2e", "/v1/users/%ZZ", "/v1/users/%ff%fe", "/v1/users/a%0Ab",
        "/v1/users//institutions"}) {
    SCOPED_TRACE(target);
    expect_json_error(call("GET", target, site()), 400, "invalid_path");
  }
  expect_json_error(call("GET", "/v1/users/" + std::string(2000, 'a'), site()), 400,
                    "invalid_path");
  expect_json_error(call("GET", "/v1/institutions?user=%00", site()), 400, "invalid_query");
  expect_json_error(call("GET", "/v1/institutions?user=a&user=b", site()), 400, "invalid_query");
  expect_json_error(call("GET", "/v1/users/nobody", site()), 404, "unknown_user");
  expect_json_error(call("GET", "/v1/nothing", site()), 404, "not_found");
  expect_json_error(call("PUT", "/v1/clusters", site()), 405, "method_not_allowed");
  expect_still_serving();
}

TEST_F(HttpApiTest, GarbageOnTheWireDoesNotHurtTheServer) {
  raw(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));  // a TLS hello
  raw("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n");
  raw("POST /v1/handoffs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n");
  raw("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n");
  raw("GET / HTTP/1.1\r\n" + std::string(10000, 'X') + ": y\r\n\r\n");
  std::string many = "GET /healthz HTTP/1.1\r\n";
  for (int i = 0; i < 200; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  raw(many + "\r\n");
  // A chunked body larger than the limit.
  std::string chunked =
      "POST /v1/handoffs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 10; ++i) chunked += "400\r\n" + std::string(1024, ' ') + "\r\n";
  std::string answer = raw(chunked + "0\r\n\r\n");
  EXPECT_NE(answer.find(" 413 "), std::string::npos) << answer.substr(0, 200);
  expect_still_serving();
}

TEST_F(HttpApiTest, ProfileShowsPreconditionsProvenanceAndTheNoAssociationMessage) {
  Reply alice = call("GET", "/v1/users/alice", site());
  ASSERT_EQ(alice.status, 200) << alice.body;
  EXPECT_EQ(alice.json->getValue<std::string>("id"), "id-alice");
  auto pre = alice.json->getObject("preconditions");
  EXPECT_TRUE(pre->getValue<bool>("profile"));
  EXPECT_TRUE(pre->getValue<bool>("permission"));
  EXPECT_TRUE(pre->getValue<bool>("association"));
  auto assoc = alice.json->getArray("associations")->getObject(0);
  EXPECT_EQ(assoc->getValue<std::string>("kind"), "cluster");
  EXPECT_EQ(assoc->getObject("via")->getValue<std::string>("group"), "cn=Primary Staff");
  EXPECT_TRUE(alice.json->isNull("message"));

  Reply dave = call("GET", "/v1/users/id:id-dave", site());
  ASSERT_EQ(dave.status, 200);
  EXPECT_EQ(dave.json->getValue<std::string>("message"), "Not associated with any institutions");
  EXPECT_FALSE(dave.json->getObject("preconditions")->getValue<bool>("association"));
  EXPECT_FALSE(dave.json->getValue<bool>("can_log_in"));

  Reply bob = call("GET", "/v1/users/bob", admin());
  EXPECT_FALSE(bob.json->getObject("preconditions")->getValue<bool>("permission"));
}

TEST_F(HttpApiTest, DropDownAndBrowseListExactlyTheLoginableSchools) {
  Reply drop = call("GET", "/v1/users/alice/institutions", site());
  ASSERT_EQ(drop.status, 200);
  auto list = drop.json->getArray("institutions");
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(list->getObject(0)->getValue<std::string>("id"), "100001");
  EXPECT_EQ(list->getObject(1)->getValue<std::string>("id"), "100002");
  EXPECT_EQ(
      call("GET", "/v1/users/bob/institutions", site()).json->getArray("institutions")->size(), 0u);

  Reply browse = call("GET", "/v1/institutions?user=alice", site());
  ASSERT_EQ(browse.status, 200);
  auto all = browse.json->getArray("institutions");
  ASSERT_EQ(all->size(), 3u);
  EXPECT_TRUE(all->getObject(0)->getValue<bool>("can_log_in"));
  EXPECT_TRUE(all->getObject(1)->getValue<bool>("can_log_in"));
  EXPECT_FALSE(all->getObject(2)->getValue<bool>("can_log_in"));
  Reply anonymous = call("GET", "/v1/institutions", site());
  EXPECT_FALSE(anonymous.json->getArray("institutions")->getObject(0)->has("can_log_in"));

  Reply clusters = call("GET", "/v1/clusters", site());
  EXPECT_EQ(clusters.json->getArray("clusters")->getObject(0)->getValue<std::string>("name"),
            "Primaries");
}

TEST_F(HttpApiTest, ExplainGivesTheDecisionAndItsPath) {
  Reply r = call("GET", "/v1/explain?user=alice&institution=100001", site());
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = r.json->getObject("decision");
  EXPECT_TRUE(d->getValue<bool>("allowed"));
  EXPECT_NE(d->getValue<std::string>("path").find("Primaries"), std::string::npos);
  Reply no = call("GET", "/v1/explain?user=bob&institution=100001", site());
  EXPECT_EQ(no.json->getObject("decision")->getValue<std::string>("reason"), "no_login_permission");
  expect_json_error(call("GET", "/v1/explain", site()), 400, "missing_field");
}

TEST_F(HttpApiTest, ManualAssociationsAreAddedServedAndRemovedWithTheClusterRule) {
  Reply added = call("POST", "/v1/users/dave/associations", admin(),
                     R"({"kind":"institution","target":"100003"})");
  ASSERT_EQ(added.status, 201) << added.body;
  Reply drop = call("GET", "/v1/users/dave/institutions", site());
  ASSERT_EQ(drop.json->getArray("institutions")->size(), 1u);
  EXPECT_EQ(issue("dave", "100003").status, 201);

  // A school alice has through the cluster can't be removed on its own.
  Reply conflict =
      call("DELETE", "/v1/users/alice/associations?kind=institution&target=100001", admin());
  expect_json_error(conflict, 409, "association_conflict");
  EXPECT_EQ(conflict.json->getObject("error")->getValue<std::string>("blocking_kind"), "cluster");
  // Nor the cluster itself, which comes from a directory group.
  Reply group =
      call("DELETE", "/v1/users/alice/associations?kind=cluster&target=primaries", admin());
  expect_json_error(group, 409, "association_conflict");
  EXPECT_EQ(group.json->getObject("error")->getValue<std::string>("blocking_kind"), "group");

  Reply removed =
      call("DELETE", "/v1/users/dave/associations?kind=institution&target=100003", admin());
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(
      call("GET", "/v1/users/dave/institutions", site()).json->getArray("institutions")->size(),
      0u);
  expect_json_error(
      call("DELETE", "/v1/users/dave/associations?kind=institution&target=100003", admin()), 404,
      "not_associated");
  expect_json_error(call("POST", "/v1/users/dave/associations", admin(),
                         R"({"kind":"galaxy","target":"100003"})"),
                    400, "invalid_field");
  expect_json_error(call("POST", "/v1/users/dave/associations", admin(),
                         R"({"kind":"institution","target":"999"})"),
                    404, "unknown_institution");
  AuditQuery q;
  q.users = {"id-dave"};
  q.actions = {"associate"};
  EXPECT_EQ(audit_->query(q)->size(), 1u);
}

TEST_F(HttpApiTest, MetricsCountRequestsByEndpointAndStatus) {
  call("GET", "/v1/users/alice", site());
  call("GET", "/v1/users/nobody", site());
  metrics_.set_last_sync_success(unix_seconds(clock_.now()) - 42);
  metrics_.set_sync_degraded(true);
  Reply m = call("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.content_type.find("text/plain"), std::string::npos);
  EXPECT_NE(
      m.body.find(
          R"(trustgate_http_requests_total{method="GET",endpoint="/v1/users/{id}",status="200"} 1)"),
      std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find(R"(endpoint="/v1/users/{id}",status="404"} 1)"), std::string::npos);
  EXPECT_NE(m.body.find("trustgate_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("trustgate_revision 1"), std::string::npos);
  EXPECT_NE(m.body.find("trustgate_sync_degraded 1"), std::string::npos);
  EXPECT_NE(m.body.find("trustgate_seconds_since_last_sync 42"), std::string::npos);
}

// Counts the HTTP responses in a raw answer.
std::size_t count_responses(const std::string& answer) {
  std::size_t n = 0;
  for (auto at = answer.find("HTTP/1.1 "); at != std::string::npos;
       at = answer.find("HTTP/1.1 ", at + 1)) {
    ++n;
  }
  return n;
}

TEST_F(HttpApiTest, KeepAliveServesPipelinedRequestsUpToTheLimitThenCloses) {
  // A connection serves at most 1000 requests: the 1000th is answered "Connection: Close" (a
  // server without the limit would say Keep-Alive). Requests sent together are served from the
  // read buffer without waiting for the socket again.
  std::string requests;
  for (int i = 0; i < 1000; ++i) requests += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string answer = raw(requests);
  EXPECT_EQ(count_responses(answer), 1000u) << answer.substr(0, 300);
  const auto last = answer.rfind("HTTP/1.1 ");
  ASSERT_NE(last, std::string::npos);
  EXPECT_NE(answer.find("Connection: Close", last), std::string::npos) << answer.substr(last);
  EXPECT_GT(answer.find("Connection: Close"), last);  // only the last one
  // Every answer is dated (RFC 9110 IMF-fixdate).
  const auto date = answer.find("\r\nDate: ");
  ASSERT_NE(date, std::string::npos);
  const std::string value = answer.substr(date + 8, answer.find("\r\n", date + 2) - date - 8);
  EXPECT_EQ(value.size(), 29u) << value;
  EXPECT_TRUE(value.ends_with(" GMT")) << value;
  expect_still_serving();
}

TEST_F(HttpApiTest, IdleKeepAliveConnectionsAreClosedAfterTheTimeoutAndOnStop) {
  HttpConfig http;
  http.listen = "127.0.0.1:0";
  http.idle_timeout_seconds = 1;
  http.threads = 2;
  auto server = ApiServer::start(http, *ctx_);
  ASSERT_TRUE(server) << server.error().message;
  auto open = [&](ApiServer& s) {
    auto sock =
        std::make_unique<Poco::Net::StreamSocket>(Poco::Net::SocketAddress("127.0.0.1", s.port()));
    sock->setReceiveTimeout(Poco::Timespan(10, 0));
    const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    sock->sendBytes(req.data(), static_cast<int>(req.size()));
    return sock;
  };
  // Reads until the server closes; returns what came and how long it took.
  auto read_to_end = [](Poco::Net::StreamSocket& sock) {
    const auto start = std::chrono::steady_clock::now();
    std::string out;
    char buf[4096];
    try {
      int n;
      while ((n = sock.receiveBytes(buf, sizeof buf)) > 0) out.append(buf, n);
    } catch (...) {
    }
    return std::make_pair(out, std::chrono::steady_clock::now() - start);
  };
  {
    auto sock = open(**server);
    auto [answer, took] = read_to_end(*sock);
    EXPECT_EQ(count_responses(answer), 1u) << answer;
    EXPECT_NE(answer.find("Connection: Keep-Alive"), std::string::npos) << answer;
    EXPECT_GE(took, std::chrono::milliseconds(800));  // kept open while idle...
    EXPECT_LT(took, std::chrono::seconds(5));         // ...for the idle timeout only
  }
  // Stopping aborts idle keep-alive connections at once (not after the idle timeout of 10 s).
  auto sock = open(*server_);
  char first[256];
  ASSERT_GT(sock->receiveBytes(first, sizeof first), 0);
  const auto start = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  auto [rest, took] = read_to_end(*sock);
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST_F(HttpApiTest, StopsPromptlyAndRefusesPlainHttpOffLoopback) {
  server_->stop();
  server_->stop();  // idempotent
  HttpConfig open;
  open.listen = "0.0.0.0:0";
  auto refused = ApiServer::start(open, *ctx_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "http.insecure");
  HttpConfig bad;
  bad.listen = "not-an-address";
  EXPECT_FALSE(ApiServer::start(bad, *ctx_));
}

// Issue 15 item 7: a redeem by a non-school client was refused (403) before it was audited.
TEST_F(HttpApiTest, ARedeemByANonSchoolClientIsAuditedAndBurnsTheTicket) {
  const std::string ticket = issue("alice", "100001").json->getValue<std::string>("ticket");
  auto o = json_object();
  o->set("ticket", ticket);
  Reply r = call("POST", "/v1/handoffs/redeem", site(), to_json(o));
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> names = r.json->getNames();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"active", "decision_id"}));
  EXPECT_FALSE(r.json->getValue<bool>("active"));
  auto events = *audit_->query({.actions = {"redeem"}});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].decision_id, r.json->getValue<std::string>("decision_id"));
  EXPECT_EQ(events[0].client, "mat-site");
  EXPECT_EQ(events[0].reason, handoff_reason::kWrongClientKind);
  EXPECT_EQ(events[0].user, "id-alice");
  // Burnt: the school can no longer redeem it.
  EXPECT_FALSE(redeem("alder", ticket).json->getValue<bool>("active"));
  EXPECT_EQ((*audit_->query({.actions = {"redeem"}, .limit = 1}))[0].reason,
            handoff_reason::kTicketReused);
}

// Issue 15 item 7: failed authentication was neither logged nor rate-limited.
TEST_F(HttpApiTest, FailedAuthenticationIsThrottledPerClaimedClientWith429AndRetryAfter) {
  const std::string wrong = bearer("mat-site", "wrong-secret-0123456789");
  for (int i = 0; i < 10; ++i)
    expect_json_error(call("GET", "/v1/clusters", wrong), 401, "unauthorized");
  Reply limited = call("GET", "/v1/clusters", wrong);
  expect_json_error(limited, 429, "too_many_requests");
  EXPECT_EQ(limited.retry_after, "60");
  // The id is throttled whatever the secret, until the window ends; other clients are not.
  expect_json_error(call("GET", "/v1/clusters", site()), 429, "too_many_requests");
  EXPECT_EQ(call("GET", "/v1/clusters", admin()).status, 200);
  clock_.advance(std::chrono::seconds(45));
  EXPECT_EQ(call("GET", "/v1/clusters", wrong).retry_after, "15");
  clock_.advance(std::chrono::seconds(15));
  EXPECT_EQ(call("GET", "/v1/clusters", site()).status, 200);
  // Unknown ids share one key: guessing ids is throttled too.
  for (int i = 0; i < 10; ++i)
    call("GET", "/v1/clusters", bearer("guess" + std::to_string(i), kSiteSecret));
  expect_json_error(call("GET", "/v1/clusters", bearer("another", kSiteSecret)), 429,
                    "too_many_requests");
  EXPECT_NE(call("GET", "/metrics").body.find("trustgate_auth_throttled_total 4"),
            std::string::npos);
}

// The peer address reaches the throttle from the edge; loopback (every local client shares it)
// is never throttled as an address, so one local process cannot lock the others out.
TEST_F(HttpApiTest, FailuresUnderManyClientIdsFromLoopbackDoNotLockOutItsOtherClients) {
  for (int i = 0; i < 9; ++i) {
    call("GET", "/v1/clusters", bearer("mat-site", "wrong-secret-0123456789"));
    call("GET", "/v1/clusters", bearer("ops", "wrong-secret-0123456789"));
  }
  EXPECT_EQ(call("GET", "/v1/clusters", site()).status, 200);
  EXPECT_EQ(call("GET", "/v1/clusters", admin()).status, 200);
}

TEST_F(HttpApiTest, FailedAuthenticationIsLoggedAndCountedNeverWithTheSecret) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  spdlog::default_logger()->sinks().push_back(sink);
  call("GET", "/v1/clusters", bearer("mat-site", "the-wrong-secret-0123456789"));
  call("GET", "/v1/clusters", "Basic !!!");
  call("GET", "/v1/clusters");
  spdlog::default_logger()->flush();
  spdlog::default_logger()->sinks().pop_back();
  const std::string log = captured.str();
  EXPECT_NE(log.find("auth: failed (invalid credential): client=\"mat-site\""), std::string::npos)
      << log;
  EXPECT_NE(log.find("malformed"), std::string::npos) << log;
  EXPECT_EQ(log.find("the-wrong-secret"), std::string::npos) << log;
  const std::string metrics = call("GET", "/metrics").body;
  for (const char* line : {"trustgate_auth_failures_total{reason=\"invalid\"} 1",
                           "trustgate_auth_failures_total{reason=\"malformed\"} 1",
                           "trustgate_auth_failures_total{reason=\"missing\"} 1"}) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
  }
}

// Issue 15 item 7: an auth_time of 1970 was accepted.
TEST_F(HttpApiTest, AHandoffForALoginFromLongAgoIsRefusedWithItsReason) {
  auto ask = [&](std::int64_t auth_time) {
    return call(
        "POST", "/v1/handoffs", site(),
        fmt::format(R"({{"user":"alice","institution":"100001","auth_time":{}}})", auth_time));
  };
  Reply old = ask(1);
  expect_json_error(old, 403, "access_denied");
  EXPECT_EQ(old.json->getObject("error")->getValue<std::string>("reason"), "auth_time_too_old");
  EXPECT_EQ(ask(unix_seconds(clock_.now()) - 13 * 3600).status, 403);
  EXPECT_EQ(ask(unix_seconds(clock_.now()) - 11 * 3600).status, 201);
}

}  // namespace
}  // namespace trustgate
