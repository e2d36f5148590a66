// The API over TLS, against the real trustgated: a throwaway CA, a server certificate for
// 127.0.0.1 and client certificates made with the openssl tool in a temp folder; clients are
// Poco HTTPS sessions that verify the server against that CA.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/StreamCopier.h>
#include <stdlib.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "tests/e2e/api_e2e_fixture.h"

namespace trustgate::e2e {
namespace {

namespace fs = std::filesystem;
using Poco::Net::Context;

// A CA and certificates signed by it: <name>.pem / <name>.key in `dir`.
class Pki {
 public:
  explicit Pki(fs::path dir) : dir_(std::move(dir)) {}

  bool make_ca(const std::string& name) {
    return run(fmt::format(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj '/CN={0} test CA' -keyout {0}.key -out {0}.pem",
        name));
  }
  // `usage` is serverAuth or clientAuth; `san` e.g. "IP:127.0.0.1,DNS:localhost".
  bool make_cert(const std::string& name, const std::string& ca, const std::string& cn,
                 const std::string& usage, const std::string& san) {
    std::ofstream(dir_ / (name + ".ext"))
        << "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
        << "extendedKeyUsage=" << usage << "\n"
        << (san.empty() ? "" : "subjectAltName=" + san + "\n");
    return run(fmt::format("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                           "-subj '/CN={1}' -keyout {0}.key -out {0}.csr",
                           name, cn)) &&
           run(fmt::format("openssl x509 -req -in {0}.csr -CA {1}.pem -CAkey {1}.key "
                           "-CAcreateserial -days 2 -extfile {0}.ext -out {0}.pem",
                           name, ca)) &&
           chmod_key(name);
  }
  std::string pem(const std::string& name) const { return (dir_ / (name + ".pem")).string(); }
  std::string key(const std::string& name) const { return (dir_ / (name + ".key")).string(); }

 private:
  bool run(const std::string& cmd) {
    const std::string full = "cd '" + dir_.string() + "' && " + cmd + " >>openssl.log 2>&1";
    return std::system(full.c_str()) == 0;
  }
  bool chmod_key(const std::string& name) {
    std::error_code ec;
    fs::permissions(dir_ / (name + ".key"), fs::perms::owner_read | fs::perms::owner_write, ec);
    return !ec;
  }
  fs::path dir_;
};

class ApiTlsE2eTest : public ApiE2eFixture {
 protected:
  void SetUp() override {
    Poco::Net::initializeSSL();
    std::string tmpl = (fs::temp_directory_path() / "tg-tls-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    pki_dir_ = tmpl;
    pki_ = std::make_unique<Pki>(pki_dir_);
    ASSERT_TRUE(pki_->make_ca("ca"));
    ASSERT_TRUE(
        pki_->make_cert("server", "ca", "127.0.0.1", "serverAuth", "IP:127.0.0.1,DNS:localhost"));
    // Client certificates name the client id they speak for (CN), or carry a configured name.
    ASSERT_TRUE(pki_->make_cert("mat-site", "ca", "mat-site", "clientAuth", ""));
    ASSERT_TRUE(pki_->make_cert("alder", "ca", "alder", "clientAuth", ""));
    ASSERT_TRUE(pki_->make_cert("birch", "ca", "birch", "clientAuth", ""));
    ASSERT_TRUE(pki_->make_cert("birch-named", "ca", "Birch Primary backend", "clientAuth",
                                "DNS:birch.schools.example"));
    ASSERT_TRUE(pki_->make_ca("rogue"));
    ASSERT_TRUE(pki_->make_cert("rogue-client", "rogue", "alder", "clientAuth", ""));
  }
  void TearDown() override {
    daemon_.reset();
    std::error_code ec;
    fs::remove_all(pki_dir_, ec);
  }

  enum class ClientCerts { kNone, kOptional, kRequired };
  // Starts the daemon with TLS; client certificates verified against "ca" unless kNone, and
  // required when kRequired. birch's certificate must carry "birch.schools.example".
  void start_tls(ClientCerts certs) {
    auto o = default_options();
    o.http_toml = fmt::format("tls_cert = \"{}\"\ntls_key = \"{}\"\n", pki_->pem("server"),
                              pki_->key("server"));
    if (certs != ClientCerts::kNone) {
      o.http_toml += fmt::format("tls_client_ca = \"{}\"\nrequire_client_cert = {}\n",
                                 pki_->pem("ca"), certs == ClientCerts::kRequired);
      for (auto& c : o.clients) {
        if (c.id == "birch") c.certificate_name = "birch.schools.example";
      }
    }
    daemon_ = std::make_unique<testing::DaemonProcess>(std::move(o));
    ASSERT_TRUE(daemon_->wait_listening()) << daemon_->log();
  }

  // A client context trusting `ca`, presenting `client_cert` (a Pki name) when not empty.
  Context::Ptr client_context(const std::string& ca, const std::string& client_cert = "") {
    Context::Params p;
    p.caLocation = pki_->pem(ca);
    p.verificationMode = Context::VERIFY_STRICT;
    p.loadDefaultCAs = false;
    if (!client_cert.empty()) {
      p.certificateFile = pki_->pem(client_cert);
      p.privateKeyFile = pki_->key(client_cert);
    }
    return new Context(Context::TLS_CLIENT_USE, p);
  }

  // One request over HTTPS. status -1 when no HTTP answer came (handshake refused, reset).
  Reply https(const Context::Ptr& ctx, const std::string& method, const std::string& target,
              const std::string& auth = "", const std::string& body = "") {
    testing::ApiReply raw;
    try {
      Poco::Net::HTTPSClientSession s("127.0.0.1", static_cast<Poco::UInt16>(daemon_->port()), ctx);
      s.setTimeout(Poco::Timespan(10, 0));
      Poco::Net::HTTPRequest req(method, target, "HTTP/1.1");
      if (!auth.empty()) req.set("Authorization", auth);
      if (method == "POST") {
        req.setContentType("application/json");
        req.setContentLength64(static_cast<Poco::Int64>(body.size()));
      }
      s.sendRequest(req) << body;
      Poco::Net::HTTPResponse resp;
      std::istream& in = s.receiveResponse(resp);
      raw.status = resp.getStatus();
      raw.content_type = resp.getContentType();
      Poco::StreamCopier::copyToString(in, raw.body);
    } catch (const std::exception& e) {
      raw.status = -1;
      raw.body = e.what();
    }
    return to_reply(raw);
  }

  // Polls GET /readyz over TLS until 200; returns "" then, else the last failure.
  std::string wait_ready_over_tls(const Context::Ptr& ctx) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::string last = "the daemon exited";
    while (std::chrono::steady_clock::now() < until && daemon_->running()) {
      Reply r = https(ctx, "GET", "/readyz");
      if (r.status == 200) return "";
      last = std::to_string(r.status) + " " + r.body;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return last;
  }

  // Issues a ticket for alice at Alder as the site over `site_ctx`.
  Reply issue_over_tls(const Context::Ptr& site_ctx) {
    return https(site_ctx, "POST", "/v1/handoffs", site(),
                 R"({"user":"alice","institution":"100001","mfa":true,"auth_time":)" +
                     std::to_string(unix_now()) + "}");
  }
  // Issue over `site_ctx` and redeem as alder over `school_ctx`; true when the redeem is active.
  bool handoff_over_tls(const Context::Ptr& site_ctx, const Context::Ptr& school_ctx) {
    Reply t = issue_over_tls(site_ctx);
    EXPECT_EQ(t.status, 201) << t.body;
    Reply r = https(school_ctx, "POST", "/v1/handoffs/redeem", school("alder"),
                    R"({"ticket":")" + t.str("ticket") + R"("})");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.active();
  }

  fs::path pki_dir_;
  std::unique_ptr<Pki> pki_;
};

TEST_F(ApiTlsE2eTest, ServesHttpsVerifiedAgainstItsCaAndRefusesPlainHttp) {
  start_tls(ClientCerts::kNone);
  auto trusting = client_context("ca");
  ASSERT_EQ(wait_ready_over_tls(trusting), "") << daemon_->log();
  EXPECT_TRUE(handoff_over_tls(trusting, trusting));

  // A client that trusts another CA refuses the server.
  EXPECT_EQ(https(client_context("rogue"), "GET", "/healthz").status, -1);
  // Plain HTTP to the TLS port gets no HTTP answer.
  EXPECT_EQ(testing::http_call(daemon_->port(), "GET", "/healthz").status, -1);
  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(https(trusting, "GET", "/healthz").status, 200);
}

// The client certificate names a service, not a host: it is checked against its CA and the
// client id, never the client's IP address (regression: the server also checked it against the
// client's address and dropped every client).
TEST_F(ApiTlsE2eTest, RequiredClientCertificateIsCheckedAgainstItsCaNotTheClientsAddress) {
  start_tls(ClientCerts::kRequired);
  auto site_cert = client_context("ca", "mat-site");
  ASSERT_EQ(wait_ready_over_tls(site_cert), "") << daemon_->log();
  EXPECT_TRUE(handoff_over_tls(site_cert, client_context("ca", "alder")));

  Reply without = https(client_context("ca"), "GET", "/healthz");
  EXPECT_EQ(without.status, -1) << without.body;
  Reply rogue = https(client_context("ca", "rogue-client"), "GET", "/healthz");
  EXPECT_EQ(rogue.status, -1) << rogue.body;
  EXPECT_EQ(testing::http_call(daemon_->port(), "GET", "/healthz").status, -1);

  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(https(site_cert, "GET", "/healthz").status, 200);
}

// Regression (issue 15): a certificate from the client CA let its holder authenticate as any
// client whose secret it had. Now the certificate must name the client the secret is for.
TEST_F(ApiTlsE2eTest, ClientCertificateIsTiedToTheClientIdItAuthenticatesAs) {
  start_tls(ClientCerts::kRequired);
  auto site_cert = client_context("ca", "mat-site");
  auto alder_cert = client_context("ca", "alder");
  ASSERT_EQ(wait_ready_over_tls(site_cert), "") << daemon_->log();

  // Alder's certificate with the site's secret: refused, and counted as a failed authentication.
  Reply stolen = issue_over_tls(alder_cert);
  EXPECT_EQ(stolen.status, 401) << stolen.body;
  EXPECT_NE(stolen.body.find("certificate does not name this client"), std::string::npos)
      << stolen.body;
  // The site's certificate with alder's secret: refused before the ticket is looked at.
  Reply t = issue_over_tls(site_cert);
  ASSERT_EQ(t.status, 201) << t.body;
  Reply wrong = https(site_cert, "POST", "/v1/handoffs/redeem", school("alder"),
                      R"({"ticket":")" + t.str("ticket") + R"("})");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  // The ticket was not burnt by the refused attempt: alder, over its own certificate, redeems it.
  Reply right = https(alder_cert, "POST", "/v1/handoffs/redeem", school("alder"),
                      R"({"ticket":")" + t.str("ticket") + R"("})");
  EXPECT_EQ(right.status, 200) << right.body;
  EXPECT_TRUE(right.active()) << right.body;

  // A configured certificate_name is matched against the DNS subjectAltName; the id is then not
  // enough.
  EXPECT_EQ(https(client_context("ca", "birch-named"), "POST", "/v1/handoffs/redeem",
                  school("birch"), R"({"ticket":"tg1.bogus"})")
                .status,
            200);  // authenticated: an unknown ticket answers inactive
  EXPECT_EQ(https(client_context("ca", "birch"), "POST", "/v1/handoffs/redeem", school("birch"),
                  R"({"ticket":"tg1.bogus"})")
                .status,
            401);

  const std::string metrics = https(site_cert, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("reason=\"certificate\""), std::string::npos) << metrics;
  EXPECT_NE(daemon_->log().find("certificate credential"), std::string::npos);
}

// With client certificates optional, a request without one authenticates by secret alone,
// unless its client has a certificate_name; one with a certificate must match.
TEST_F(ApiTlsE2eTest, OptionalClientCertificateMustStillNameTheClientWhenPresented) {
  start_tls(ClientCerts::kOptional);
  auto no_cert = client_context("ca");
  ASSERT_EQ(wait_ready_over_tls(no_cert), "") << daemon_->log();
  EXPECT_TRUE(handoff_over_tls(no_cert, no_cert));
  EXPECT_TRUE(handoff_over_tls(client_context("ca", "mat-site"), client_context("ca", "alder")));
  EXPECT_EQ(issue_over_tls(client_context("ca", "alder")).status, 401);
  // birch has a certificate_name: it must present a certificate carrying it.
  EXPECT_EQ(
      https(no_cert, "POST", "/v1/handoffs/redeem", school("birch"), R"({"ticket":"tg1.bogus"})")
          .status,
      401);
  EXPECT_EQ(https(client_context("ca", "birch-named"), "POST", "/v1/handoffs/redeem",
                  school("birch"), R"({"ticket":"tg1.bogus"})")
                .status,
            200);
}

TEST_F(ApiTlsE2eTest, ManyIdleTlsConnectionsDoNotBlockOthersAndPipelinedAnswersComeInOrder) {
  start_tls(ClientCerts::kNone);
  auto ctx = client_context("ca");
  ASSERT_EQ(wait_ready_over_tls(ctx), "") << daemon_->log();
  // 300 kept-alive TLS connections, each answered once and then idle (8 worker threads).
  std::vector<std::unique_ptr<Poco::Net::HTTPSClientSession>> idle;
  for (int i = 0; i < 300; ++i) {
    auto s = std::make_unique<Poco::Net::HTTPSClientSession>(
        "127.0.0.1", static_cast<Poco::UInt16>(daemon_->port()), ctx);
    s->setKeepAlive(true);
    s->setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req("GET", "/healthz", "HTTP/1.1");
    req.setKeepAlive(true);
    s->sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(s->receiveResponse(resp), body);
    ASSERT_EQ(resp.getStatus(), 200) << "connection " << i;
    idle.push_back(std::move(s));
  }
  EXPECT_TRUE(handoff_over_tls(ctx, ctx));  // through the worker pool, beside them
  for (auto* s : {idle.front().get(), idle.back().get()}) {
    Poco::Net::HTTPRequest req("GET", "/readyz", "HTTP/1.1");
    s->sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(s->receiveResponse(resp), body);
    EXPECT_EQ(resp.getStatus(), 200);  // on the same, kept-alive connection
  }

  // 40 requests in one write over TLS, larger answers among them (/metrics): all answered, in
  // order, the last one closing.
  Poco::Net::SecureStreamSocket raw(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(daemon_->port())), ctx);
  raw.setReceiveTimeout(Poco::Timespan(10, 0));
  std::string requests;
  for (int i = 0; i < 39; ++i) {
    requests += i % 2 ? "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                      : "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  requests += "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(raw.sendBytes(requests.data(), static_cast<int>(requests.size())),
            static_cast<int>(requests.size()));
  std::string answer;
  char buf[16384];
  try {
    for (int n; (n = raw.receiveBytes(buf, sizeof buf)) > 0;) answer.append(buf, n);
  } catch (const Poco::Exception&) {
    // The server's close after its last answer may end the stream with an error.
  }
  std::vector<std::size_t> at;
  for (auto p = answer.find("HTTP/1.1 200 OK"); p != std::string::npos;
       p = answer.find("HTTP/1.1 200 OK", p + 1)) {
    at.push_back(p);
  }
  ASSERT_EQ(at.size(), 40u) << answer.substr(0, 300);
  EXPECT_NE(answer.find("trustgate_", at[1]), std::string::npos);             // the metrics
  EXPECT_NE(answer.find("\"status\":\"ready\"", at[39]), std::string::npos);  // the last
  EXPECT_NE(answer.find("Connection: Close", at[39]), std::string::npos);
}

}  // namespace
}  // namespace trustgate::e2e
