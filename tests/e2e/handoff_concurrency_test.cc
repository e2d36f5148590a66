// Racing redeems of one ticket against the real trustgated: exactly one wins.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <latch>
#include <thread>

#include "tests/e2e/api_e2e_fixture.h"

namespace trustgate::e2e {
namespace {

class HandoffConcurrencyE2eTest : public ApiE2eFixture {};

TEST_F(HandoffConcurrencyE2eTest, TwoHundredConcurrentRedeemsOfOneTicketYieldExactlyOneActive) {
  constexpr int kRacers = 200;
  auto o = default_options();
  o.http_toml = "threads = 16\nmax_connections = 512\nidle_timeout = 60\n";
  start(o);
  const std::string ticket = ticket_for("alice", "100001");
  ASSERT_FALSE(ticket.empty());
  const std::string body = R"({"ticket":")" + ticket + R"("})";

  std::vector<Reply> replies(kRacers);
  std::latch connected(kRacers);  // every racer ready
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&, i] {
      try {
        // Each racer has its own connection; all start sending together.
        Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(daemon_->port()));
        s.setTimeout(Poco::Timespan(60, 0));
        connected.arrive_and_wait();
        Poco::Net::HTTPRequest req("POST", "/v1/handoffs/redeem", "HTTP/1.1");
        req.set("Authorization", school("alder"));
        req.setContentType("application/json");
        req.setContentLength64(static_cast<Poco::Int64>(body.size()));
        s.sendRequest(req) << body;
        Poco::Net::HTTPResponse resp;
        std::istream& in = s.receiveResponse(resp);
        testing::ApiReply raw;
        raw.status = resp.getStatus();
        raw.content_type = resp.getContentType();
        Poco::StreamCopier::copyToString(in, raw.body);
        replies[i] = to_reply(raw);
      } catch (const std::exception& e) {
        replies[i].body = e.what();
      }
    });
  }
  for (auto& t : racers) t.join();

  int active = 0, inactive = 0;
  for (const Reply& r : replies) {
    ASSERT_EQ(r.status, 200) << r.body;
    (r.active() ? active : inactive)++;
  }
  EXPECT_EQ(active, 1);
  EXPECT_EQ(inactive, kRacers - 1);
  // The audit trail agrees: one granted redeem, every other one a reuse: a row of its own up
  // to [audit] failure_rows_per_second per second, the rest counted in a summary row (written
  // once their second has passed, by the daemon's tick).
  EXPECT_EQ(count_audit("action = 'redeem' AND decision = 'allow'"), 1);
  int accounted = 0;
  for (int i = 0; i < 50 && accounted != kRacers - 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    accounted = sum_audit_events(
        "action = 'redeem' AND reason IN ('ticket_reused', 'suppressed_failures')");
  }
  EXPECT_EQ(accounted, kRacers - 1);
  EXPECT_TRUE(daemon_->running());
}

}  // namespace
}  // namespace trustgate::e2e
