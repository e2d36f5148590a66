// trustgated restarted while its directory is unreadable serves the stored revision at once.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <filesystem>

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

}  // namespace
}  // namespace trustgate::testing
