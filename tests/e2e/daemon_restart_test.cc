// trustgated restarted: it serves the stored revision at once while its directory is unreadable,
// and its first pass expects the entries the last one read.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/e2e/ctl_fixture.h"
#include "tests/harness/daemon_process.h"

namespace trustgate::testing {
namespace {

constexpr char kSecret[] = "restart-test-site-secret-0123456789";

std::pair<int, Poco::JSON::Object::Ptr> get(int port, const std::string& target) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  s.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req("GET", target, Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Authorization", std::string("Bearer site:") + kSecret);
  s.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::string body;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
  return {resp.getStatus(), Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>()};
}

TEST(DaemonRestartTest, ServesTheStoredRevisionAtOnceWhenTheDirectoryIsGone) {
  DaemonOptions o;
  o.ldif = CtlFixture::base_ldif();
  o.mapping_toml = CtlFixture::mapping_toml();
  o.clients = {{"site", "site", "", kSecret}};
  DaemonProcess daemon(o);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  auto [status, ready] = get(daemon.port(), "/readyz");
  ASSERT_EQ(status, 200);
  const int revision = ready->getValue<int>("revision");
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();

  // The directory disappears while the daemon is down.
  std::filesystem::remove(daemon.dir() / "directory.ldif");
  daemon.restart();
  ASSERT_TRUE(daemon.wait_ready(std::chrono::seconds(30))) << daemon.log();
  auto [after_status, after] = get(daemon.port(), "/readyz");
  EXPECT_EQ(after_status, 200);
  EXPECT_EQ(after->getValue<int>("revision"), revision);
  auto [explain_status, explain] = get(daemon.port(), "/v1/explain?user=alice&institution=100002");
  ASSERT_EQ(explain_status, 200);
  EXPECT_TRUE(explain->getObject("decision")->getValue<bool>("allowed"));
}

// /healthz carries the pass's progress: after a restart, the first pass expects the entries the
// last pass before it read (kept in the store).
Poco::JSON::Object::Ptr settled_sync(DaemonProcess& daemon) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    ApiReply r = http_call(daemon.port(), "GET", "/healthz");
    if (r.status == 200) {
      auto sync =
          Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getObject("sync");
      if (sync && sync->getValue<int>("passes") >= 1 && !sync->getValue<bool>("in_progress"))
        return sync;
    }
    if (std::chrono::steady_clock::now() > until) return nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TEST(DaemonRestartTest, HealthShowsThePassExpectingWhatTheLastPassRead) {
  DaemonOptions o;
  o.ldif = CtlFixture::base_ldif();
  o.mapping_toml = CtlFixture::mapping_toml();
  DaemonProcess daemon(o);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  auto first = settled_sync(daemon);
  ASSERT_TRUE(first) << daemon.log();
  const int read = first->getValue<int>("entries_read");
  EXPECT_GT(read, 0);
  EXPECT_TRUE(first->isNull("expected_entries"));  // the first pass ever
  EXPECT_TRUE(first->isNull("eta_seconds"));       // none when no pass runs
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();
  daemon.restart();
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  auto second = settled_sync(daemon);
  ASSERT_TRUE(second) << daemon.log();
  EXPECT_EQ(second->getValue<int>("entries_read"), read);
  ASSERT_FALSE(second->isNull("expected_entries"));
  EXPECT_EQ(second->getValue<int>("expected_entries"), read);
  EXPECT_GE(second->getValue<int>("entries_per_second"), 0);
  // trustgatectl status says the same, from /healthz.
  CtlRun status = daemon.ctl({"status"});
  EXPECT_NE(status.output.find(fmt::format("idle, last {} of ~{} entries read", read, read)),
            std::string::npos)
      << status.output;
}

}  // namespace
}  // namespace trustgate::testing
