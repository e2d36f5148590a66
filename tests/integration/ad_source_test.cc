// AdSource against a real Samba AD DC (tests/harness/samba_dc.h): one DC per process, with
// 2,000 users and 100 groups (plus one group holding all 2,000 users) bulk-loaded once.
// Tests that change the directory work in their own OU so that they do not depend on order.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <stop_token>

#include "common/clock.h"
#include "connectors/ldap/ad_account.h"
#include "connectors/ldap/ad_base_read.h"
#include "connectors/ldap/ad_ranged_attribute.h"
#include "connectors/ldap/ad_source.h"
#include "connectors/ldap/sync_view.h"
#include "connectors/object_guid.h"
#include "tests/harness/ad_test_directory.h"
#include "tests/harness/samba_dc.h"

namespace trustgate {
namespace {

using namespace ad_test;
using namespace std::chrono;
using namespace std::chrono_literals;

constexpr std::size_t kUsers = 2000;
constexpr std::size_t kGroups = 100;
constexpr std::size_t kMembersPerGroup = 25;

const AdPopulation& population() {
  static const AdPopulation p{"Trustgate", "tg", kUsers, kGroups, kMembersPerGroup};
  return p;
}

std::string big_group_dn() { return "CN=tg-everyone," + population().groups_dn(); }

// The shared DC with the population loaded (once per process).
SambaDc& loaded_dc() {
  static SambaDc* dc = [] {
    SambaDc& d = SambaDc::shared();
    std::cout << "[ad] Samba AD DC provisioned and started on " << d.address() << " in "
              << d.provision_time().count() << " ms\n";
    const auto took = d.load(population());
    std::string big =
        "dn: " + big_group_dn() + "\nobjectClass: group\nsAMAccountName: tg-everyone\n";
    for (std::size_t i = 0; i < kUsers; ++i) big += "member: " + population().user_dn(i) + "\n";
    const auto t0 = steady_clock::now();
    d.add(big);
    std::cout << "[ad] ldapadd of " << kUsers << " users and " << kGroups << " groups took "
              << took.count() << " ms; the " << kUsers << "-member group "
              << duration_cast<milliseconds>(steady_clock::now() - t0).count() << " ms\n";
    return &d;
  }();
  return *dc;
}

LdapSourceOptions options_for(SambaDc& dc, const std::string& users_base,
                              const std::string& groups_base, bool incremental) {
  LdapSourceOptions o = ad_test::source_options(dc, users_base, groups_base, incremental);
  o.page_size = 300;  // several pages for 2,000 users
  return o;
}

const DirectoryUser* user_named(const DirectorySnapshot& s, const std::string& name) {
  for (const auto& u : s.users)
    if (u.username == name) return &u;
  return nullptr;
}

const DirectoryGroup* group_named(const DirectorySnapshot& s, const std::string& name) {
  for (const auto& g : s.groups)
    if (g.name == name) return &g;
  return nullptr;
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

std::string base64_decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    const auto pos = chars.find(c);
    if (pos == std::string::npos) break;
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// objectGUID of `dn` as ldapsearch shows it, in canonical form.
std::string guid_of(SambaDc& dc, const std::string& dn) {
  const std::string out = dc.search(dn, "(objectClass=*)", {"objectGUID"}, true);
  const auto pos = out.find("objectGUID:: ");
  EXPECT_NE(pos, std::string::npos) << out;
  if (pos == std::string::npos) return "";
  const auto end = out.find('\n', pos);
  return format_object_guid(base64_decode(out.substr(pos + 13, end - pos - 13))).value_or("");
}

// Waits (generously) until `source` reports a change; the DC needs no time to commit, but a
// poll may race with the write.
bool wait_for_change(AdSource& source) {
  const auto deadline = steady_clock::now() + 60s;
  std::stop_source stop;
  while (steady_clock::now() < deadline) {
    auto r = source.wait_for_changes(1000ms, stop.get_token());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return false;
    if (*r) return true;
  }
  return false;
}

TEST(AdSourceTest, FullReadOfTheDomainHasEveryUserAndGroupWithObjectGuidIds) {
  SambaDc& dc = loaded_dc();
  ManualClock clock;
  // The domain root as base: subtree searches there also return referrals (not chased).
  AdSource source(options_for(dc, SambaDc::kBaseDn, SambaDc::kBaseDn, false), clock);
  const auto t0 = steady_clock::now();
  std::size_t progress_calls = 0;
  auto snap = source.snapshot([&](std::size_t) { ++progress_calls; });
  ASSERT_TRUE(snap) << snap.error().message;
  std::cout << "[ad] full read of " << snap->users.size() << " users and " << snap->groups.size()
            << " groups: " << duration_cast<milliseconds>(steady_clock::now() - t0).count()
            << " ms\n";
  EXPECT_GT(progress_calls, 0u);
  EXPECT_EQ(snap->malformed_entries, 0u);

  std::map<std::string, const DirectoryUser*> by_name;
  std::set<std::string> ids;
  for (const auto& u : snap->users) {
    by_name[u.username] = &u;
    EXPECT_TRUE(ids.insert(u.id).second) << "duplicate id " << u.id;
  }
  EXPECT_TRUE(by_name.count("Administrator"));
  for (std::size_t i = 0; i < kUsers; ++i) {
    const std::string name = population().user_name(i);
    auto it = by_name.find(name);
    ASSERT_NE(it, by_name.end()) << name;
    EXPECT_EQ(it->second->dn, population().user_dn(i));
    EXPECT_EQ(it->second->display_name, "User " + std::to_string(i));
    EXPECT_EQ(it->second->email, name + "@la.example");
    EXPECT_TRUE(it->second->enabled) << name;
    EXPECT_EQ(it->second->id.size(), 36u);
  }
  // The id is the objectGUID in its canonical form.
  const auto* u7 = by_name.at(population().user_name(7));
  EXPECT_EQ(u7->id, guid_of(dc, population().user_dn(7)));

  for (std::size_t j = 0; j < kGroups; ++j) {
    const auto* g = group_named(*snap, population().group_name(j));
    ASSERT_NE(g, nullptr) << population().group_name(j);
    EXPECT_EQ(g->dn, population().group_dn(j));
    EXPECT_EQ(g->description, "group " + std::to_string(j));
    std::set<std::string> expected;
    for (std::size_t k = 0; k < kMembersPerGroup; ++k)
      expected.insert(population().user_dn((j * kMembersPerGroup + k) % kUsers));
    EXPECT_EQ(as_set(g->member_dns), expected) << g->dn;
  }
  EXPECT_EQ(group_named(*snap, population().group_name(3))->id,
            guid_of(dc, population().group_dn(3)));
}

TEST(AdSourceTest, TwoThousandMemberGroupIsReadCompletelyThroughRanges) {
  SambaDc& dc = loaded_dc();
  std::set<std::string> expected;
  for (std::size_t i = 0; i < kUsers; ++i) expected.insert(population().user_dn(i));

  auto conn = LdapConnection::open(options_for(dc, "", "", false));
  ASSERT_TRUE(conn) << conn.error().message;
  // The server really answers in slices when asked: the first request gets "0-1499" back.
  auto first = read_base_object(*conn, big_group_dn(), {"member;range=0-1499"});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->attributes.count("member;range=0-1499"), 1u);
  EXPECT_EQ(first->attributes.at("member;range=0-1499").size(), 1500u);

  for (std::size_t step :
       {std::size_t{1500}, std::size_t{333}, std::size_t{1999}, std::size_t{2000}}) {
    auto members = read_ranged_member(*conn, big_group_dn(), step);
    ASSERT_TRUE(members) << members.error().message;
    EXPECT_EQ(members->size(), kUsers) << "step " << step;
    EXPECT_EQ(as_set(*members), expected) << "step " << step;
  }

  // And through the source, with a range step that needs several slices.
  ManualClock clock;
  AdSource source(options_for(dc, population().people_dn(), population().groups_dn(), false), clock,
                  AdSyncOptions{.range_step = 700});
  auto snap = source.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  const auto* everyone = group_named(*snap, "tg-everyone");
  ASSERT_NE(everyone, nullptr);
  EXPECT_EQ(everyone->member_dns.size(), kUsers);
  EXPECT_EQ(as_set(everyone->member_dns), expected);
  EXPECT_EQ(snap->users.size(), kUsers);
}

TEST(AdSourceTest, NestedGroupsWithACycleAreRead) {
  SambaDc& dc = SambaDc::shared();
  const std::string ou = scratch_ou(dc, "Nesting");
  dc.add(user_ldif(ou, "nest-user") + group_ldif(ou, "nest-a", {"CN=nest-user," + ou}) +
         group_ldif(ou, "nest-b"));
  // A cycle needs both groups to exist first: add, then modify.
  dc.modify("dn: CN=nest-a," + ou + "\nchangetype: modify\nadd: member\nmember: CN=nest-b," + ou +
            "\n\ndn: CN=nest-b," + ou + "\nchangetype: modify\nadd: member\nmember: CN=nest-a," +
            ou + "\n");
  ManualClock clock;
  AdSource source(options_for(dc, ou, ou, false), clock);
  auto snap = source.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  const auto* a = group_named(*snap, "nest-a");
  const auto* b = group_named(*snap, "nest-b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(as_set(a->member_dns),
            (std::set<std::string>{"CN=nest-user," + ou, "CN=nest-b," + ou}));
  EXPECT_EQ(as_set(b->member_dns), std::set<std::string>{"CN=nest-a," + ou});
}

TEST(AdSourceTest, DisabledAndExpiredUsersComeOutDisabled) {
  SambaDc& dc = SambaDc::shared();
  const std::string ou = scratch_ou(dc, "Accounts");
  ManualClock clock;  // 2027: "past" and "future" are relative to it, not to the host clock
  const auto now = clock.now();
  dc.add(user_ldif(ou, "acct-enabled") +
         user_ldif(ou, "acct-disabled", "userAccountControl: 514\n") +
         user_ldif(ou, "acct-expired",
                   "userAccountControl: 512\naccountExpires: " +
                       std::to_string(time_to_filetime(now - hours(24))) + "\n") +
         user_ldif(ou, "acct-expiring",
                   "userAccountControl: 512\naccountExpires: " +
                       std::to_string(time_to_filetime(now + hours(1))) + "\n") +
         user_ldif(ou, "acct-never", "userAccountControl: 512\naccountExpires: 0\n"));
  AdSource source(options_for(dc, ou, ou, true), clock,
                  AdSyncOptions{.poll_interval = 0ms, .reconcile_interval = 24h});
  auto snap = source.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  ASSERT_EQ(snap->users.size(), 5u);
  EXPECT_TRUE(user_named(*snap, "acct-enabled")->enabled);
  EXPECT_FALSE(user_named(*snap, "acct-disabled")->enabled);
  EXPECT_FALSE(user_named(*snap, "acct-expired")->enabled);
  EXPECT_TRUE(user_named(*snap, "acct-expiring")->enabled);
  EXPECT_TRUE(user_named(*snap, "acct-never")->enabled);

  // Two hours later the expiring account is disabled, with no change in the directory and
  // no full read.
  clock.advance(2h);
  auto later = source.snapshot();
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_EQ(source.full_reads(), 1u);
  EXPECT_FALSE(user_named(*later, "acct-expiring")->enabled);
  EXPECT_TRUE(user_named(*later, "acct-never")->enabled);

  // Enabling the disabled account shows after a poll.
  dc.modify("dn: CN=acct-disabled," + ou +
            "\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 512\n");
  ASSERT_TRUE(wait_for_change(source));
  auto enabled = source.snapshot();
  ASSERT_TRUE(enabled) << enabled.error().message;
  EXPECT_TRUE(user_named(*enabled, "acct-disabled")->enabled);
}

TEST(AdSourceTest, RenamedUserAndGroupKeepTheirObjectGuidIds) {
  SambaDc& dc = SambaDc::shared();
  const std::string ou = scratch_ou(dc, "Renames");
  dc.add(user_ldif(ou, "ren-user") + group_ldif(ou, "ren-group", {"CN=ren-user," + ou}) +
         group_ldif(ou, "ren-outer", {"CN=ren-group," + ou}));
  ManualClock clock;
  AdSource source(options_for(dc, ou, ou, true), clock, AdSyncOptions{.poll_interval = 0ms});
  auto before = source.snapshot();
  ASSERT_TRUE(before) << before.error().message;
  const std::string user_id = user_named(*before, "ren-user")->id;
  const std::string group_id = group_named(*before, "ren-group")->id;

  dc.rename("CN=ren-user," + ou, "CN=ren-user-renamed");
  dc.rename("CN=ren-group," + ou, "CN=ren-group-renamed");
  ASSERT_TRUE(wait_for_change(source));
  auto after = source.snapshot();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(source.full_reads(), 1u);  // seen by polling, not by a full read
  ASSERT_EQ(after->users.size(), 1u);
  EXPECT_EQ(after->users[0].id, user_id);
  EXPECT_EQ(after->users[0].dn, "CN=ren-user-renamed," + ou);
  const DirectoryGroup* renamed = nullptr;
  for (const auto& g : after->groups)
    if (g.id == group_id) renamed = &g;
  ASSERT_NE(renamed, nullptr);
  EXPECT_EQ(renamed->dn, "CN=ren-group-renamed," + ou);
  EXPECT_EQ(renamed->name, "ren-group-renamed");
  EXPECT_EQ(renamed->member_dns, std::vector<std::string>{"CN=ren-user-renamed," + ou});
  EXPECT_EQ(group_named(*after, "ren-outer")->member_dns,
            std::vector<std::string>{"CN=ren-group-renamed," + ou});
}

TEST(AdSourceTest, DeletedUserDisappearsAfterTheNextReconcile) {
  SambaDc& dc = SambaDc::shared();
  const std::string ou = scratch_ou(dc, "Deletes");
  dc.add(user_ldif(ou, "del-keep") + user_ldif(ou, "del-gone") +
         group_ldif(ou, "del-group", {"CN=del-keep," + ou, "CN=del-gone," + ou}));
  ManualClock clock;
  AdSource source(options_for(dc, ou, ou, true), clock, AdSyncOptions{.poll_interval = 0ms});
  auto before = source.snapshot();
  ASSERT_TRUE(before) << before.error().message;
  ASSERT_NE(user_named(*before, "del-gone"), nullptr);

  dc.remove("CN=del-gone," + ou);
  source.reconcile();  // what the daemon's periodic reconcile calls
  auto after = source.snapshot();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(source.full_reads(), 2u);
  EXPECT_EQ(user_named(*after, "del-gone"), nullptr);
  EXPECT_NE(user_named(*after, "del-keep"), nullptr);
  EXPECT_EQ(group_named(*after, "del-group")->member_dns,
            std::vector<std::string>{"CN=del-keep," + ou});
}

// Issue 14 (found by ad_equivalence_test): polling kept deleted users and users out of the
// filter until the next full read; a user re-created under a deleted one's DN, in the same
// poll, would have been counted in the deleted user's groups, which AD had emptied.
TEST(AdSourceTest, DeletedRecreatedAndFilteredOutUsersAreSeenByPollingAlone) {
  SambaDc& dc = SambaDc::shared();
  const std::string ou = scratch_ou(dc, "PollDeletes");
  dc.add(user_ldif(ou, "pd-gone") + user_ldif(ou, "pd-away") + user_ldif(ou, "pd-stay") +
         group_ldif(ou, "pd-group", {"CN=pd-gone," + ou, "CN=pd-away," + ou}));
  ManualClock clock;
  auto options = options_for(dc, ou, ou, true);
  options.users.filter = "(&(objectCategory=person)(objectClass=user)(!(description=away)))";
  AdSource source(options, clock, AdSyncOptions{.poll_interval = 0ms});
  auto before = source.snapshot();
  ASSERT_TRUE(before) << before.error().message;
  const std::string old_id = user_named(*before, "pd-gone")->id;

  dc.remove("CN=pd-gone," + ou);
  dc.add("dn: CN=pd-gone," + ou +  // a new objectGUID under the old DN
         "\nobjectClass: user\nsAMAccountName: pd-back\nuserAccountControl: 512\n\n");
  dc.modify("dn: CN=pd-away," + ou +
            "\nchangetype: modify\nreplace: description\ndescription: away\n");
  ASSERT_TRUE(wait_for_change(source));
  auto after = source.snapshot();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(source.full_reads(), 1u);  // seen by polling, not by a full read
  EXPECT_EQ(user_named(*after, "pd-away"), nullptr);
  EXPECT_NE(user_named(*after, "pd-stay"), nullptr);
  ASSERT_EQ(after->users.size(), 2u);
  const DirectoryUser* back = nullptr;
  for (const auto& u : after->users)
    if (u.dn == "CN=pd-gone," + ou) back = &u;
  ASSERT_NE(back, nullptr);
  EXPECT_NE(back->id, old_id);
  // The re-created user is in no group: AD removed the old one's member value.
  const auto* group = group_named(*after, "pd-group");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(std::count(group->member_dns.begin(), group->member_dns.end(), "CN=pd-gone," + ou), 0);
}

TEST(AdSourceTest, ReconcileIntervalByTheInjectedClockTriggersAFullRead) {
  SambaDc& dc = SambaDc::shared();
  const std::string ou = scratch_ou(dc, "Interval");
  dc.add(user_ldif(ou, "int-gone"));
  ManualClock clock;
  AdSource source(options_for(dc, ou, ou, true), clock,
                  AdSyncOptions{.poll_interval = 0ms, .reconcile_interval = 600s});
  ASSERT_TRUE(source.snapshot());
  dc.remove("CN=int-gone," + ou);
  clock.advance(601s);
  auto after = source.snapshot();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(source.full_reads(), 2u);
  EXPECT_TRUE(after->users.empty());
}

TEST(AdSourceTest, MembershipChangeIsVisibleAfterAPoll) {
  SambaDc& dc = SambaDc::shared();
  const std::string ou = scratch_ou(dc, "Membership");
  dc.add(user_ldif(ou, "mem-a") + user_ldif(ou, "mem-b") +
         group_ldif(ou, "mem-group", {"CN=mem-a," + ou}));
  ManualClock clock;
  AdSource source(options_for(dc, ou, ou, true), clock, AdSyncOptions{.poll_interval = 0ms});
  ASSERT_TRUE(source.supports_changes());
  auto before = source.snapshot();
  ASSERT_TRUE(before) << before.error().message;
  const auto usn_before = source.dc_identity()->highest_usn;

  // Nothing changed yet: a short wait reports no change.
  std::stop_source stop;
  auto quiet = source.wait_for_changes(300ms, stop.get_token());
  ASSERT_TRUE(quiet) << quiet.error().message;
  EXPECT_FALSE(*quiet);

  dc.modify("dn: CN=mem-group," + ou + "\nchangetype: modify\nadd: member\nmember: CN=mem-b," + ou +
            "\n-\ndelete: member\n"
            "member: CN=mem-a," +
            ou + "\n");
  ASSERT_TRUE(wait_for_change(source));
  auto after = source.snapshot();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(group_named(*after, "mem-group")->member_dns,
            std::vector<std::string>{"CN=mem-b," + ou});
  EXPECT_EQ(source.full_reads(), 1u);
  EXPECT_GT(source.dc_identity()->highest_usn, usn_before);

  // A stop request ends the wait at once.
  stop.request_stop();
  const auto t0 = steady_clock::now();
  auto stopped = source.wait_for_changes(30s, stop.get_token());
  ASSERT_TRUE(stopped);
  EXPECT_FALSE(*stopped);
  EXPECT_LT(steady_clock::now() - t0, 10s);
}

TEST(AdSourceTest, ResumeStateContinuesOnTheSameDcAndReadsEverythingOnAnother) {
  SambaDc& dc = SambaDc::shared();
  const std::string ou = scratch_ou(dc, "Resume");
  dc.add(user_ldif(ou, "res-a") + group_ldif(ou, "res-group", {"CN=res-a," + ou}));
  ManualClock clock;
  const auto options = options_for(dc, ou, ou, true);
  std::string state;
  {
    AdSource first(options, clock);
    ASSERT_TRUE(first.snapshot());
    auto s = first.resume_state();
    ASSERT_TRUE(s);
    state = *s;
  }
  dc.add(user_ldif(ou, "res-b"));

  // Same DC: the restored view is served and only changes are read.
  AdSource resumed(options, clock, AdSyncOptions{.poll_interval = 0ms});
  resumed.restore_state(state);
  auto snap = resumed.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(resumed.full_reads(), 0u);
  EXPECT_NE(user_named(*snap, "res-a"), nullptr);
  EXPECT_NE(user_named(*snap, "res-b"), nullptr);

  // Another invocationId (a restored or different DC): everything is read again.
  std::string_view in = state;
  std::vector<std::string> fields;
  for (int i = 0; i < 5; ++i) fields.push_back(take_field(in).value());
  fields[3] = "00000000-0000-0000-0000-000000000001";
  std::string tampered;
  for (const auto& f : fields) put_field(tampered, f);
  tampered += in;
  AdSource moved(options, clock, AdSyncOptions{.poll_interval = 0ms});
  moved.restore_state(tampered);
  auto full = moved.snapshot();
  ASSERT_TRUE(full) << full.error().message;
  EXPECT_EQ(moved.full_reads(), 1u);
  EXPECT_NE(user_named(*full, "res-b"), nullptr);
  EXPECT_NE(moved.dc_identity()->invocation_id, fields[3]);

  // Garbage is ignored: a full read.
  AdSource garbage(options, clock);
  garbage.restore_state("not a state");
  ASSERT_TRUE(garbage.snapshot());
  EXPECT_EQ(garbage.full_reads(), 1u);
}

TEST(AdSourceTest, ReadsOverLdapsWithTheTestCa) {
  SambaDc& dc = SambaDc::shared();
  const std::string ou = scratch_ou(dc, "Tls");
  dc.add(user_ldif(ou, "tls-user"));
  ManualClock clock;
  auto options = options_for(dc, ou, ou, false);
  options.url = dc.ldaps_url();
  options.ca_file = dc.ca_file();
  auto source = make_ad_source(options, clock);
  auto snap = source->snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  ASSERT_EQ(snap->users.size(), 1u);
  EXPECT_EQ(snap->users[0].username, "tls-user");
}

TEST(AdSourceTest, WrongPasswordIsABindError) {
  SambaDc& dc = SambaDc::shared();
  ManualClock clock;
  auto options = options_for(dc, SambaDc::kBaseDn, SambaDc::kBaseDn, true);
  options.bind_password = "wrong";
  AdSource source(options, clock);
  auto snap = source.snapshot();
  ASSERT_FALSE(snap);
  EXPECT_EQ(snap.error().code, "ldap.bind");
}

}  // namespace
}  // namespace trustgate
