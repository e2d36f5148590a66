// The handoff's happy path and every denial at issue, against the real trustgated over HTTP.
#include <regex>

#include "tests/e2e/api_e2e_fixture.h"

namespace trustgate::e2e {
namespace {

class HandoffIssueE2eTest : public ApiE2eFixture {};

bool is_hex(const std::string& s, std::size_t n) {
  return s.size() == n && std::regex_match(s, std::regex("[0-9a-f]+"));
}

TEST_F(HandoffIssueE2eTest, IssueAndRedeemAnswerEveryField) {
  const std::int64_t started = unix_now();
  start();
  const std::int64_t auth_time = unix_now() - 42;
  Reply t = issue("alice", "100001", /*mfa=*/true, auth_time);
  ASSERT_EQ(t.status, 201) << t.body << daemon_->log();
  const std::string ticket = t.str("ticket");
  EXPECT_TRUE(std::regex_match(ticket, std::regex("[A-Za-z0-9_-]{43}"))) << ticket;
  const std::int64_t expires_at = t.json->getValue<std::int64_t>("expires_at");
  EXPECT_GE(expires_at, started + 30);
  EXPECT_LE(expires_at, unix_now() + 30);
  EXPECT_EQ(t.json->getValue<int>("ttl_seconds"), 30);
  EXPECT_EQ(t.str("redirect_url"), "https://alder.example/mis/");
  const std::string issue_decision = t.str("decision_id");
  EXPECT_TRUE(is_hex(issue_decision, 32)) << issue_decision;
  EXPECT_EQ(audited_reason(issue_decision), "granted");

  Reply r = redeem(ticket, school("alder"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.active()) << r.body;

  auto user = r.json->getObject("user");
  EXPECT_EQ(user->getValue<std::string>("id"), kAliceId);
  EXPECT_EQ(user->getValue<std::string>("username"), "alice");
  EXPECT_EQ(user->getValue<std::string>("display_name"), "Alice Adams");
  EXPECT_EQ(user->getValue<std::string>("email"), "alice@la.example");

  auto inst = r.json->getObject("institution");
  EXPECT_EQ(inst->getValue<std::string>("id"), "100001");
  EXPECT_EQ(inst->getValue<std::string>("name"), "Alder Primary");

  auto roles = r.json->getArray("roles");
  EXPECT_EQ(ids_of(roles), (std::vector<std::string>{"data-viewer", "mat-staff"}));
  EXPECT_EQ(roles->getObject(0)->getValue<std::string>("name"), "Data viewer");
  EXPECT_EQ(roles->getObject(1)->getValue<std::string>("name"), "MAT staff");
  EXPECT_EQ(string_set(r.json->getArray("permissions")),
            (std::set<std::string>{"mis.login.associated_institutions", "reports.view"}));

  auto via = r.json->getObject("granted_via");
  EXPECT_NE(via->getValue<std::string>("path").find("Primaries"), std::string::npos)
      << via->getValue<std::string>("path");
  auto assoc = via->getObject("association");
  ASSERT_TRUE(assoc);
  EXPECT_EQ(assoc->getValue<std::string>("kind"), "cluster");
  EXPECT_EQ(assoc->getValue<std::string>("target"), "primaries");
  EXPECT_EQ(assoc->getObject("via")->getValue<std::string>("rule"), "cluster-primaries");
  auto perm_via = via->getArray("permission_via");
  ASSERT_EQ(perm_via->size(), 1u);
  EXPECT_EQ(perm_via->getObject(0)->getValue<std::string>("role"), "mat-staff");
  EXPECT_EQ(perm_via->getObject(0)->getObject("via")->getValue<std::string>("rule"), "mis-users");

  EXPECT_TRUE(r.json->getValue<bool>("skip_second_factor"));
  EXPECT_TRUE(r.json->getValue<bool>("mfa"));
  EXPECT_EQ(r.json->getValue<std::int64_t>("auth_time"), auth_time);
  const std::int64_t as_of = r.json->getValue<std::int64_t>("data_as_of");
  EXPECT_GE(as_of, started - 1);
  EXPECT_LE(as_of, unix_now());
  EXPECT_EQ(r.json->getValue<long long>("revision"), daemon_->served_revision());
  EXPECT_GE(r.json->getValue<long long>("revision"), 1);
  const std::string redeem_decision = r.str("decision_id");
  EXPECT_TRUE(is_hex(redeem_decision, 32)) << redeem_decision;
  EXPECT_NE(redeem_decision, issue_decision);
  EXPECT_EQ(audited_reason(redeem_decision), "granted");
}

TEST_F(HandoffIssueE2eTest, SkipSecondFactorFollowsEachSchoolsPolicy) {
  start();
  struct Case {
    std::string institution, client;
    bool mfa, skip;
  };
  // Alder: when_mfa; Birch: always.
  for (const Case& c :
       {Case{"100001", "alder", false, false}, Case{"100001", "alder", true, true},
        Case{"100002", "birch", false, true}, Case{"100002", "birch", true, true}}) {
    SCOPED_TRACE(c.institution + (c.mfa ? " with MFA" : " without MFA"));
    Reply r = redeem(ticket_for("alice", c.institution, c.mfa), school(c.client));
    ASSERT_TRUE(r.active()) << r.body;
    EXPECT_EQ(r.json->getValue<bool>("skip_second_factor"), c.skip);
    EXPECT_EQ(r.json->getValue<bool>("mfa"), c.mfa);
  }
}

TEST_F(HandoffIssueE2eTest, EachDenialAtIssueIs403WithItsReasonAndNoTicket) {
  start();
  struct Case {
    std::string user, institution, reason;
  };
  for (const Case& c :
       {Case{"zed", "100001", "unknown_user"}, Case{"carol", "100001", "user_disabled"},
        Case{"bob", "100001", "no_login_permission"}, Case{"dave", "100001", "not_associated"},
        Case{"alice", "100003", "not_associated"},
        Case{"alice", "999999", "unknown_institution"}}) {
    SCOPED_TRACE(c.user + " -> " + c.institution);
    Reply t = issue(c.user, c.institution);
    EXPECT_EQ(t.status, 403) << t.body;
    ASSERT_TRUE(t.error()) << t.body;
    EXPECT_EQ(t.error_code(), "access_denied");
    EXPECT_EQ(t.error()->getValue<std::string>("reason"), c.reason);
    EXPECT_FALSE(t.json->has("ticket"));
    const std::string decision = t.error()->getValue<std::string>("decision_id");
    EXPECT_EQ(audited_reason(decision), c.reason);
  }
  // The same users through their stable id, and a username in another case.
  EXPECT_EQ(issue(std::string("id:") + kAliceId, "100001").status, 201);
  EXPECT_EQ(issue("ALICE", "100002").status, 201);
  // Only site clients ask for tickets.
  Reply by_school = call(
      "POST", "/v1/handoffs", school("alder"),
      R"({"user":"alice","institution":"100001","auth_time":)" + std::to_string(unix_now()) + "}");
  EXPECT_EQ(by_school.status, 403);
  EXPECT_EQ(by_school.error_code(), "forbidden");
}

// Issue 15: an LDIF user whose uid is alice's entryUUID was issued alice's tickets, because a
// user key was looked up as a stable id before a username. Ids and usernames are separate
// namespaces now: the bare uuid names mallory (no access); "id:<uuid>" names alice.
TEST_F(HandoffIssueE2eTest, UsernameSpellingAnotherUsersIdIsNotIssuedTheirTickets) {
  testing::DaemonOptions o = default_options();
  o.ldif =
      directory_ldif() + person(kAliceId, "Mallory Moss", "66666666-6666-6666-6666-666666666666");
  start(o);
  Reply t = issue(kAliceId, "100001");
  EXPECT_EQ(t.status, 403) << t.body;
  EXPECT_FALSE(t.json && t.json->has("ticket")) << t.body;
  ASSERT_TRUE(t.error()) << t.body;
  EXPECT_EQ(t.error()->getValue<std::string>("reason"), "no_login_permission");
  Reply profile = call("GET", std::string("/v1/users/") + kAliceId, site());
  ASSERT_EQ(profile.status, 200) << profile.body;
  EXPECT_EQ(profile.str("username"), kAliceId);
  EXPECT_EQ(profile.str("id"), "66666666-6666-6666-6666-666666666666");
  // alice herself, named unambiguously, still gets her ticket; it redeems as alice.
  Reply by_id = issue(std::string("id:") + kAliceId, "100001");
  ASSERT_EQ(by_id.status, 201) << by_id.body;
  Reply r = redeem(by_id.str("ticket"), school("alder"));
  ASSERT_TRUE(r.active()) << r.body;
  EXPECT_EQ(r.json->getObject("user")->getValue<std::string>("username"), "alice");
  // The collision is reported at sync.
  EXPECT_NE(daemon_->log().find("spells another user's stable id"), std::string::npos)
      << daemon_->log();
}

// Two users with one username: the API answers "ambiguous", never picks one.
TEST_F(HandoffIssueE2eTest, SharedUsernameIsAnsweredAsAmbiguous) {
  testing::DaemonOptions o = default_options();
  std::string twin = person("alice", "Alice Other", "77777777-7777-7777-7777-777777777777");
  twin.replace(twin.find("uid=alice,ou=people"), 19, "uid=alice,ou=staff");
  o.ldif = directory_ldif() + twin;
  start(o);
  Reply t = issue("alice", "100001");
  EXPECT_EQ(t.status, 403) << t.body;
  ASSERT_TRUE(t.error()) << t.body;
  EXPECT_EQ(t.error()->getValue<std::string>("reason"), "ambiguous_user");
  Reply profile = call("GET", "/v1/users/alice", site());
  EXPECT_EQ(profile.status, 409) << profile.body;
  EXPECT_EQ(profile.error_code(), "ambiguous_user");
  EXPECT_EQ(call("GET", "/v1/users/alice/institutions", site()).error_code(), "ambiguous_user");
  EXPECT_EQ(issue(std::string("id:") + kAliceId, "100001").status, 201);
}

}  // namespace
}  // namespace trustgate::e2e
