// Live sync end to end: a real slapd (syncprov, refint), the real trustgated binary syncing from
// it incrementally, answers read over HTTP, and trustgatectl for the operator's side. Every
// wait for an asynchronous effect polls with a generous deadline; no test fails on timing.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "tests/harness/ldap_daemon.h"
#include "tests/harness/ldap_test_directory.h"
#include "tests/harness/slapd.h"

namespace trustgate {
namespace {

using namespace std::chrono_literals;
using namespace ldap_test;
using testing::HttpReply;
using testing::LdapDaemon;
using testing::LdapDaemonOptions;
using testing::poll_until;

constexpr int kUsers = 20;
constexpr auto kDeadline = 30s;
constexpr char kSiteSecret[] = "live-sync-site-secret-0123456789";
constexpr char kEmptyOu[] = "ou=empty,dc=la,dc=example";

// users 1..5 are in staff, user 2 in heads; all-staff = staff + heads (nested).
constexpr char kMapping[] = R"(
[[role]]
id = "mat-staff"
name = "MAT staff"
permissions = ["mis.login.associated_institutions"]

[[institution]]
id = "100001"
name = "Alder Primary"
mis_url = "https://alder.example/mis/"

[[institution]]
id = "100002"
name = "Birch Primary"
mis_url = "https://birch.example/mis/"

[[institution]]
id = "100003"
name = "Cedar Secondary"
mis_url = "https://cedar.example/mis/"

[[cluster]]
id = "primaries"
name = "Primaries"
institutions = ["100001", "100002"]

[[rule]]
id = "all-staff"
group_dn = "cn=all-staff,ou=groups,dc=la,dc=example"
roles = ["mat-staff"]
clusters = ["primaries"]

[[rule]]
id = "heads"
group_dn = "cn=heads,ou=groups,dc=la,dc=example"
institutions = ["100003"]
)";

Poco::JSON::Object::Ptr parse(const std::string& body) {
  try {
    Poco::JSON::Parser p;
    return p.parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (...) {
    return nullptr;
  }
}

std::string member_change(const std::string& group, const std::string& op, const std::string& attr,
                          const std::vector<std::string>& values) {
  std::string ldif = fmt::format("dn: {}\nchangetype: modify\n{}: {}\n", group_dn(group), op, attr);
  for (const auto& v : values) ldif += attr + ": " + v + "\n";
  return ldif + "-\n";
}

class LiveSyncDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SlapdOptions o;
    o.ldif = directory_ldif(kUsers) +
             fmt::format("dn: {}\nobjectClass: organizationalUnit\nou: empty\n\n", kEmptyOu);
    o.refint = true;  // as in production: the server fixes member values on delete/rename
    slapd_ = std::make_unique<SlapdServer>(o);
  }

  LdapDaemonOptions options(const std::string& url) const {
    LdapDaemonOptions o;
    o.url = url;
    o.bind_dn = kReaderDn;
    o.bind_password = kReaderPassword;
    o.users_base = kPeople;
    o.groups_base = kGroups;
    o.mapping_toml = kMapping;
    o.clients = {{"mat-site", "site", "", kSiteSecret}};
    return o;
  }

  void start_daemon(const LdapDaemonOptions& o) {
    daemon_ = std::make_unique<LdapDaemon>(o);
    ASSERT_TRUE(daemon_->wait_ready()) << daemon_->log();
  }
  void start_daemon() { start_daemon(options(slapd_->ldap_url())); }

  // The decision for (user, institution), or nullopt when the API gave no decision.
  std::optional<bool> allowed(const std::string& user, const std::string& institution) const {
    HttpReply r = daemon_->get(fmt::format("/v1/explain?user={}&institution={}", user, institution),
                               "mat-site");
    if (r.status != 200) return std::nullopt;
    auto json = parse(r.body);
    if (!json || !json->has("decision")) return std::nullopt;
    return json->getObject("decision")->getValue<bool>("allowed");
  }

  // The user's "Log in to MIS" drop-down; nullopt when the user is unknown (404) or no answer.
  std::optional<std::set<std::string>> schools(const std::string& user) const {
    HttpReply r = daemon_->get(fmt::format("/v1/users/{}/institutions", user), "mat-site");
    if (r.status != 200) return std::nullopt;
    auto json = parse(r.body);
    if (!json) return std::nullopt;
    std::set<std::string> out;
    auto list = json->getArray("institutions");
    for (std::size_t i = 0; i < list->size(); ++i)
      out.insert(list->getObject(static_cast<unsigned>(i))->getValue<std::string>("id"));
    return out;
  }

  int status_of(const std::string& target) const { return daemon_->get(target, "mat-site").status; }

  bool eventually_allowed(const std::string& user, const std::string& inst, bool want) const {
    return poll_until([&] { return allowed(user, inst) == want; }, kDeadline);
  }

  // The trustgate_sync_degraded gauge of /metrics (nullopt: no answer).
  std::optional<bool> degraded() const {
    HttpReply r = daemon_->get("/metrics");
    if (r.status != 200) return std::nullopt;
    if (r.body.find("\ntrustgate_sync_degraded 1\n") != std::string::npos) return true;
    if (r.body.find("\ntrustgate_sync_degraded 0\n") != std::string::npos) return false;
    return std::nullopt;
  }

  // /healthz: "degraded: <reason>" or "ok" (empty: no answer). Always 200 while alive.
  std::string health() const {
    HttpReply r = daemon_->get("/healthz");
    auto json = r.status == 200 ? parse(r.body) : nullptr;
    if (!json) return "";
    const std::string status = json->getValue<std::string>("status");
    return json->has("reason") ? status + ": " + json->getValue<std::string>("reason") : status;
  }
  bool eventually_degraded_because(const std::string& why) const {
    return poll_until(
        [&] {
          return degraded() == true && health().starts_with("degraded") &&
                 health().find(why) != std::string::npos;
        },
        kDeadline);
  }

  bool log_has(const std::string& text, std::size_t from = 0) const {
    const std::string log = daemon_->log();
    return log.size() > from && log.find(text, from) != std::string::npos;
  }

  std::unique_ptr<SlapdServer> slapd_;
  std::unique_ptr<LdapDaemon> daemon_;
};

TEST_F(LiveSyncDaemonTest, FullSyncServesEveryMappedUserThroughTheApi) {
  start_daemon();
  EXPECT_EQ(allowed("user0001", "100001"), true);
  EXPECT_EQ(allowed("user0001", "100003"), false);
  EXPECT_EQ(allowed("user0006", "100001"), false);
  EXPECT_EQ(schools("user0002"), (std::set<std::string>{"100001", "100002", "100003"}));
  EXPECT_EQ(schools("user0004"), (std::set<std::string>{"100001", "100002"}));
  EXPECT_EQ(schools("user0020"), std::set<std::string>{});
  EXPECT_EQ(status_of("/v1/users/user0021/institutions"), 404);
  // The operator's view of the same revision.
  auto run = daemon_->ctl({"explain", "user0002", "100003"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("Cedar Secondary"), std::string::npos) << run.output;
}

TEST_F(LiveSyncDaemonTest, AddedUserInAGrantingGroupGetsAccess) {
  start_daemon();
  ASSERT_EQ(status_of("/v1/users/user0100/institutions"), 404);
  slapd_->add(user_ldif(100));
  slapd_->modify(member_change("staff", "add", "member", {user_dn(100)}));
  EXPECT_TRUE(eventually_allowed("user0100", "100002", true)) << daemon_->log();
  EXPECT_EQ(schools("user0100"), (std::set<std::string>{"100001", "100002"}));
}

TEST_F(LiveSyncDaemonTest, DisabledUserLosesAccess) {
  start_daemon();
  ASSERT_EQ(allowed("user0001", "100001"), true);
  slapd_->modify(fmt::format(
      "dn: {}\nchangetype: modify\nadd: employeeType\nemployeeType: disabled\n-\n", user_dn(1)));
  EXPECT_TRUE(eventually_allowed("user0001", "100001", false)) << daemon_->log();
  HttpReply profile = daemon_->get("/v1/users/user0001", "mat-site");
  ASSERT_EQ(profile.status, 200);
  auto json = parse(profile.body);
  ASSERT_TRUE(json);
  EXPECT_FALSE(json->getValue<bool>("enabled"));
  EXPECT_EQ(schools("user0001"), std::set<std::string>{});
}

TEST_F(LiveSyncDaemonTest, GroupMemberAddedGetsAccessAndRemovedLosesIt) {
  start_daemon();
  ASSERT_EQ(allowed("user0006", "100001"), false);
  ASSERT_EQ(allowed("user0004", "100001"), true);
  slapd_->modify(member_change("staff", "add", "member", {user_dn(6)}));
  EXPECT_TRUE(eventually_allowed("user0006", "100001", true)) << daemon_->log();
  slapd_->modify(member_change("staff", "delete", "member", {user_dn(4)}));
  EXPECT_TRUE(eventually_allowed("user0004", "100001", false)) << daemon_->log();
  EXPECT_EQ(schools("user0004"), std::set<std::string>{});
  EXPECT_EQ(allowed("user0006", "100001"), true);
}

TEST_F(LiveSyncDaemonTest, NestedGroupChangesAndANestedGroupDeletionReachTheApi) {
  start_daemon();
  // A new group, nested into the granting group afterwards.
  slapd_->add(fmt::format("dn: {}\nobjectClass: groupOfNames\ncn: deputies\nmember: {}\n\n",
                          group_dn("deputies"), user_dn(8)));
  slapd_->modify(member_change("all-staff", "add", "member", {group_dn("deputies")}));
  EXPECT_TRUE(eventually_allowed("user0008", "100001", true)) << daemon_->log();
  // A second level: deputies ⊃ cover ⊃ user 9.
  slapd_->add(fmt::format("dn: {}\nobjectClass: groupOfNames\ncn: cover\nmember: {}\n\n",
                          group_dn("cover"), user_dn(9)));
  slapd_->modify(member_change("deputies", "add", "member", {group_dn("cover")}));
  EXPECT_TRUE(eventually_allowed("user0009", "100002", true)) << daemon_->log();
  // Deleting the (unmapped) nested group takes away what it gave, and only that.
  slapd_->remove(group_dn("cover"));
  slapd_->remove(group_dn("deputies"));
  EXPECT_TRUE(eventually_allowed("user0008", "100001", false)) << daemon_->log();
  EXPECT_TRUE(eventually_allowed("user0009", "100001", false)) << daemon_->log();
  EXPECT_EQ(allowed("user0001", "100001"), true);
}

TEST_F(LiveSyncDaemonTest, DeletedUserDisappearsFromTheApi) {
  start_daemon();
  ASSERT_EQ(allowed("user0005", "100001"), true);
  slapd_->remove(user_dn(5));
  EXPECT_TRUE(
      poll_until([&] { return status_of("/v1/users/user0005/institutions") == 404; }, kDeadline))
      << daemon_->log();
  EXPECT_EQ(allowed("user0005", "100001"), false);
  EXPECT_EQ(allowed("user0004", "100001"), true);
}

TEST_F(LiveSyncDaemonTest, RenamedUserKeepsItsIdAndAccessUnderTheNewName) {
  start_daemon();
  HttpReply before = daemon_->get("/v1/users/user0003", "mat-site");
  ASSERT_EQ(before.status, 200);
  const std::string id = parse(before.body)->getValue<std::string>("id");
  slapd_->modrdn(user_dn(3), "uid=renamed0003");
  ASSERT_TRUE(poll_until([&] { return status_of("/v1/users/renamed0003") == 200; }, kDeadline))
      << daemon_->log();
  HttpReply after = daemon_->get("/v1/users/renamed0003", "mat-site");
  auto json = parse(after.body);
  ASSERT_TRUE(json);
  EXPECT_EQ(json->getValue<std::string>("id"), id);
  EXPECT_EQ(status_of("/v1/users/user0003"), 404);
  // refint rewrote the group's member value on the server; the consumer never sees that write,
  // so the connector must follow the rename itself: access continues.
  EXPECT_EQ(schools("renamed0003"), (std::set<std::string>{"100001", "100002"}));
  EXPECT_EQ(allowed("id:" + id, "100001"), true);
}

TEST_F(LiveSyncDaemonTest, StartTlsWithTheRightCaSyncsAndStreamsChanges) {
  auto o = options(slapd_->ldap_url());
  o.start_tls = true;
  o.ca_file = slapd_->ca_file();
  start_daemon(o);
  EXPECT_EQ(allowed("user0001", "100001"), true);
  slapd_->modify(member_change("staff", "add", "member", {user_dn(7)}));
  EXPECT_TRUE(eventually_allowed("user0007", "100001", true)) << daemon_->log();
}

TEST_F(LiveSyncDaemonTest, LdapsWithTheRightCaSyncs) {
  auto o = options(slapd_->ldaps_url());
  o.ca_file = slapd_->ca_file();
  start_daemon(o);
  EXPECT_EQ(allowed("user0001", "100001"), true);
  EXPECT_TRUE(poll_until([&] { return degraded() == false && health() == "ok"; }, kDeadline));
}

TEST_F(LiveSyncDaemonTest, WrongCaIsAClearErrorAndTheStoredRevisionKeepsServing) {
  auto o = options(slapd_->ldaps_url());
  o.ca_file = slapd_->ca_file();
  start_daemon(o);
  ASSERT_EQ(allowed("user0001", "100001"), true);
  ASSERT_TRUE(poll_until([&] { return degraded() == false; }, kDeadline));
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();

  const std::size_t mark = daemon_->log().size();
  o.ca_file = slapd_->wrong_ca_file();
  daemon_->rewrite_config(o);
  daemon_->start();
  ASSERT_TRUE(daemon_->wait_ready()) << daemon_->log();  // the stored revision, at once
  EXPECT_TRUE(
      poll_until([&] { return log_has("TLS certificate verification failed", mark); }, kDeadline))
      << daemon_->log();
  EXPECT_TRUE(eventually_degraded_because("TLS certificate verification failed")) << daemon_->log();
  EXPECT_EQ(allowed("user0001", "100001"), true);
  EXPECT_EQ(schools("user0002"), (std::set<std::string>{"100001", "100002", "100003"}));
}

TEST_F(LiveSyncDaemonTest, SlapdOutageRevokesNothingAndChangesFlowAfterReconnect) {
  start_daemon();
  ASSERT_EQ(allowed("user0001", "100001"), true);
  slapd_->stop();
  EXPECT_TRUE(eventually_degraded_because("openldap")) << daemon_->log();
  // While the directory is down, every answer comes from the last good revision.
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(allowed("user0001", "100001"), true) << daemon_->log();
    ASSERT_EQ(schools("user0002"), (std::set<std::string>{"100001", "100002", "100003"}));
    std::this_thread::sleep_for(200ms);
  }
  slapd_->start();
  slapd_->modify(member_change("staff", "add", "member", {user_dn(10)}));
  // The watcher backs off up to 30 s between reconnects: allow for that.
  EXPECT_TRUE(poll_until([&] { return allowed("user0010", "100001") == true; }, 90s))
      << daemon_->log();
  EXPECT_TRUE(poll_until([&] { return degraded() == false && health() == "ok"; }, kDeadline))
      << daemon_->log();
  EXPECT_EQ(allowed("user0001", "100001"), true);
}

// "sync refresh done (N entries received" per (re)connection, in log order.
std::vector<int> refresh_counts(const std::string& log) {
  static const std::regex re(R"(sync refresh done \((\d+) entries received)");
  std::vector<int> out;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
       ++it)
    out.push_back(std::stoi((*it)[1].str()));
  return out;
}

TEST_F(LiveSyncDaemonTest, RestartedDaemonResumesFromTheStoredCookie) {
  start_daemon();
  ASSERT_EQ(allowed("user0001", "100001"), true);
  // A change after the first revision, so the stored cookie is not the first one.
  slapd_->modify(member_change("staff", "add", "member", {user_dn(11)}));
  ASSERT_TRUE(eventually_allowed("user0011", "100001", true)) << daemon_->log();
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  const auto first = refresh_counts(daemon_->log());
  ASSERT_EQ(first.size(), 1u) << daemon_->log();
  EXPECT_GE(first[0], kUsers + 4) << "a fresh start receives every entry";

  // Changes while the daemon is down.
  slapd_->add(user_ldif(101));
  slapd_->modify(member_change("staff", "add", "member", {user_dn(101)}));
  slapd_->modify(member_change("staff", "delete", "member", {user_dn(1)}));

  daemon_->start();
  ASSERT_TRUE(daemon_->wait_ready()) << daemon_->log();
  EXPECT_TRUE(eventually_allowed("user0101", "100001", true)) << daemon_->log();
  EXPECT_TRUE(eventually_allowed("user0001", "100001", false)) << daemon_->log();
  const auto all = refresh_counts(daemon_->log());
  ASSERT_EQ(all.size(), 2u) << daemon_->log();
  // Only the changed entries (the new user and the staff group) came back.
  EXPECT_LE(all[1], 3) << daemon_->log();
  EXPECT_EQ(allowed("user0011", "100001"), true);
  // And the stream stays live after the resume.
  slapd_->modify(member_change("staff", "add", "member", {user_dn(12)}));
  EXPECT_TRUE(eventually_allowed("user0012", "100001", true)) << daemon_->log();
}

TEST_F(LiveSyncDaemonTest, EmptyResultIsRefusedUntilAnOperatorAppliesIt) {
  auto o = options(slapd_->ldap_url());
  start_daemon(o);
  ASSERT_EQ(allowed("user0001", "100001"), true);
  ASSERT_TRUE(poll_until([&] { return degraded() == false; }, kDeadline));
  // The config now points both bases at an empty OU: the source returns nothing.
  const std::size_t mark = daemon_->log().size();
  o.users_base = kEmptyOu;
  o.groups_base = kEmptyOu;
  daemon_->rewrite_config(o);
  daemon_->reload();
  ASSERT_TRUE(poll_until([&] { return log_has("returned no entries", mark); }, kDeadline))
      << daemon_->log();
  EXPECT_TRUE(eventually_degraded_because("returned no entries")) << daemon_->log();
  EXPECT_EQ(allowed("user0001", "100001"), true);
  EXPECT_EQ(schools("user0002"), (std::set<std::string>{"100001", "100002", "100003"}));

  auto plan = daemon_->ctl({"plan"});
  EXPECT_EQ(plan.exit_code, 4) << plan.output;  // a sync would be refused
  EXPECT_NE(plan.output.find("user0001"), std::string::npos) << plan.output;
  EXPECT_NE(plan.output.find("removed"), std::string::npos) << plan.output;
  EXPECT_NE(plan.output.find("returned no entries"), std::string::npos) << plan.output;
  EXPECT_NE(plan.output.find("REFUSED"), std::string::npos) << plan.output;
  EXPECT_EQ(allowed("user0001", "100001"), true) << "a plan applies nothing";

  auto refused = daemon_->ctl({"sync", "--once"});
  EXPECT_EQ(refused.exit_code, 4) << refused.output;
  EXPECT_EQ(allowed("user0001", "100001"), true);

  auto applied = daemon_->ctl({"sync", "--once", "--allow-mass-removal"});
  EXPECT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_NE(applied.output.find("applied as revision"), std::string::npos) << applied.output;
  EXPECT_TRUE(
      poll_until([&] { return status_of("/v1/users/user0001/institutions") == 404; }, kDeadline))
      << daemon_->log();
  EXPECT_EQ(allowed("user0002", "100003"), false);
}

TEST_F(LiveSyncDaemonTest, MassRemovalIsRefusedUntilAnOperatorAppliesIt) {
  auto o = options(slapd_->ldap_url());
  o.max_grant_removals = 3;
  start_daemon(o);
  ASSERT_EQ(allowed("user0001", "100001"), true);
  ASSERT_TRUE(poll_until([&] { return degraded() == false; }, kDeadline));
  // One change removing four users from staff: 4 × (role + cluster) = 8 grants > 3.
  const std::size_t mark = daemon_->log().size();
  slapd_->modify(
      member_change("staff", "delete", "member", {user_dn(1), user_dn(3), user_dn(4), user_dn(5)}));
  ASSERT_TRUE(poll_until([&] { return log_has("sync refused", mark); }, kDeadline))
      << daemon_->log();
  EXPECT_TRUE(log_has("would remove 8 grants, more than the limit of 3", mark)) << daemon_->log();
  EXPECT_TRUE(eventually_degraded_because("would remove 8 grants")) << daemon_->log();
  for (int i : {1, 3, 4, 5}) EXPECT_EQ(allowed(username(i), "100001"), true) << i;

  auto plan = daemon_->ctl({"plan"});
  EXPECT_EQ(plan.exit_code, 4) << plan.output;  // a sync would be refused
  for (int i : {1, 3, 4, 5})
    EXPECT_NE(plan.output.find(username(i)), std::string::npos) << plan.output;
  EXPECT_EQ(plan.output.find("user0002"), std::string::npos) << plan.output;  // unchanged
  EXPECT_NE(plan.output.find("would remove 8 grants"), std::string::npos) << plan.output;

  auto applied = daemon_->ctl({"sync", "--once", "--allow-mass-removal"});
  EXPECT_EQ(applied.exit_code, 0) << applied.output;
  for (int i : {1, 3, 4, 5})
    EXPECT_TRUE(eventually_allowed(username(i), "100001", false)) << i << daemon_->log();
  EXPECT_EQ(allowed("user0002", "100001"), true);  // still in all-staff through heads
}

TEST_F(LiveSyncDaemonTest, DeletedMappedGroupIsRefusedThenAppliedByTheOperator) {
  start_daemon();
  ASSERT_EQ(allowed("user0002", "100003"), true);
  const std::size_t mark = daemon_->log().size();
  slapd_->remove(group_dn("heads"));
  ASSERT_TRUE(poll_until([&] { return log_has("mapped group vanished", mark); }, kDeadline))
      << daemon_->log();
  EXPECT_EQ(allowed("user0002", "100003"), true);
  auto applied = daemon_->ctl({"sync", "--once", "--allow-mass-removal"});
  EXPECT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_TRUE(eventually_allowed("user0002", "100003", false)) << daemon_->log();
  EXPECT_EQ(allowed("user0002", "100001"), true);  // staff still nests it into all-staff
}

}  // namespace
}  // namespace trustgate
