// LdapSource incremental sync (RFC 4533 syncrepl refreshAndPersist) against a real slapd.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "connectors/ldap/ldap_source.h"
#include "tests/harness/ldap_test_directory.h"
#include "tests/harness/slapd.h"

namespace trustgate {
namespace {

using namespace ldap_test;
using namespace std::chrono_literals;

constexpr int kUsers = 30;
constexpr auto kDeadline = 30s;  // generous: the change usually arrives in milliseconds

class LdapSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SlapdOptions options;
    options.ldif = directory_ldif(kUsers);
    options.refint = true;  // the server keeps member values right; consumers never see it
    slapd_ = std::make_unique<SlapdServer>(options);
    source_ = std::make_unique<LdapSource>(source_options(slapd_->ldap_url(), true));
    auto first = source_->snapshot();
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_EQ(first->users.size(), static_cast<std::size_t>(kUsers));
  }

  // Reads changes until `done(snapshot)` holds; fails the test after kDeadline.
  DirectorySnapshot wait_until(LdapSource& source,
                               const std::function<bool(const DirectorySnapshot&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    DirectorySnapshot last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto changed = source.wait_for_changes(500ms, {});
      if (!changed) {
        ADD_FAILURE() << "wait_for_changes failed: " << changed.error().message;
        return last;
      }
      auto snap = source.snapshot();
      if (!snap) {
        ADD_FAILURE() << "snapshot failed: " << snap.error().message;
        return last;
      }
      last = std::move(*snap);
      if (done(last)) return last;
    }
    ADD_FAILURE() << "the change did not arrive within " << kDeadline.count() << "s";
    return last;
  }

  // The incremental view must equal what a fresh full read of the server says.
  void expect_view_matches_full_read() {
    auto view = source_->snapshot();
    ASSERT_TRUE(view) << view.error().message;
    LdapSource full(source_options(slapd_->ldap_url(), false));
    auto fresh = full.snapshot();
    ASSERT_TRUE(fresh) << fresh.error().message;
    EXPECT_EQ(canonical(*view), canonical(*fresh));
  }

  std::unique_ptr<SlapdServer> slapd_;
  std::unique_ptr<LdapSource> source_;
};

TEST_F(LdapSyncTest, PrimedViewEqualsAFullRead) {
  EXPECT_TRUE(source_->supports_changes());
  EXPECT_EQ(source_->entries_received_in_last_refresh(), static_cast<std::size_t>(kUsers + 1 + 4));
  expect_view_matches_full_read();
}

TEST_F(LdapSyncTest, NoChangeMeansWaitTimesOutWithFalse) {
  auto changed = source_->wait_for_changes(300ms, {});
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_FALSE(*changed);
}

TEST_F(LdapSyncTest, StopTokenEndsTheWaitEarly) {
  std::stop_source stop;
  stop.request_stop();
  const auto start = std::chrono::steady_clock::now();
  auto changed = source_->wait_for_changes(60s, stop.get_token());
  ASSERT_TRUE(changed);
  EXPECT_FALSE(*changed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(LdapSyncTest, AddedUserArrives) {
  slapd_->add(user_ldif(101));
  auto snap = wait_until(*source_, [](const DirectorySnapshot& s) {
    return find_user_by_name(s, "user0101") != nullptr;
  });
  const auto* user = find_user_by_name(snap, "user0101");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->email, "user0101@la.example");
  EXPECT_EQ(snap.users.size(), static_cast<std::size_t>(kUsers + 1));
  expect_view_matches_full_read();
}

TEST_F(LdapSyncTest, DisabledUserArrives) {
  slapd_->modify("dn: " + user_dn(4) +
                 "\nchangetype: modify\nadd: employeeType\n"
                 "employeeType: disabled\n");
  auto snap = wait_until(*source_, [](const DirectorySnapshot& s) {
    const auto* u = find_user_by_name(s, "user0004");
    return u && !u->enabled;
  });
  const auto* user = find_user_by_name(snap, "user0004");
  ASSERT_NE(user, nullptr);
  EXPECT_FALSE(user->enabled);
  expect_view_matches_full_read();
}

TEST_F(LdapSyncTest, GroupMemberAddedAndRemovedArrive) {
  slapd_->modify("dn: " + group_dn("staff") +
                 "\nchangetype: modify\nadd: member\nmember: " + user_dn(20) + "\n");
  wait_until(*source_, [](const DirectorySnapshot& s) {
    const auto m = members(s, "staff");
    return std::find(m.begin(), m.end(), user_dn(20)) != m.end();
  });
  slapd_->modify("dn: " + group_dn("staff") +
                 "\nchangetype: modify\ndelete: member\nmember: " + user_dn(1) + "\n");
  auto snap = wait_until(*source_, [](const DirectorySnapshot& s) {
    const auto m = members(s, "staff");
    return std::find(m.begin(), m.end(), user_dn(1)) == m.end();
  });
  EXPECT_EQ(members(snap, "staff").size(), 5u);
  expect_view_matches_full_read();
}

TEST_F(LdapSyncTest, DeletedGroupDisappears) {
  slapd_->remove(group_dn("posix"));
  auto snap = wait_until(
      *source_, [](const DirectorySnapshot& s) { return find_group(s, "posix") == nullptr; });
  EXPECT_EQ(snap.groups.size(), 3u);
  expect_view_matches_full_read();
}

TEST_F(LdapSyncTest, DeletedUserDisappearsAndLeavesItsGroups) {
  slapd_->remove(user_dn(2));  // member of staff (member) and heads (uniqueMember)
  auto snap = wait_until(*source_, [](const DirectorySnapshot& s) {
    return find_user_by_name(s, "user0002") == nullptr;
  });
  // refint's removal of the member values never reaches us: the user is in no group because it
  // is no user.
  EXPECT_EQ(current_members(snap, "heads"), std::vector<std::string>{});
  const auto staff = current_members(snap, "staff");
  EXPECT_EQ(std::find(staff.begin(), staff.end(), user_dn(2)), staff.end());
  EXPECT_EQ(staff.size(), 4u);
  expect_view_matches_full_read();
}

// With refint, deleting user0002 deleted its member values on the server, unseen by syncrepl.
// A new user0002 (same DN, new entryUUID) must not inherit the old one's staff membership from
// the view's stale values: at no point is it in staff, and the view ends equal to a full read.
TEST_F(LdapSyncTest, RecreatedUserDoesNotInheritGroupsThatRefintEmptied) {
  slapd_->remove(user_dn(2));
  wait_until(*source_, [](const DirectorySnapshot& s) {
    return find_user_by_name(s, "user0002") == nullptr;
  });
  // refint cleans up in a background task: wait until the server's staff no longer lists it.
  LdapSource full(source_options(slapd_->ldap_url(), false));
  auto listed = [&] {
    auto now = full.snapshot();
    if (!now) return true;
    const auto m = members(*now, "staff");
    return std::find(m.begin(), m.end(), user_dn(2)) != m.end();
  };
  const auto until = std::chrono::steady_clock::now() + kDeadline;
  while (listed() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  ASSERT_FALSE(listed());
  slapd_->add(user_ldif(2));
  auto fresh = full.snapshot();
  ASSERT_TRUE(fresh) << fresh.error().message;
  // (heads lists user0002 by uniqueMember, which this slapd's refint leaves in place: there
  // the new user0002 is a member, as the full read says.)
  auto in_no_group = [](const DirectorySnapshot& s) {
    const auto m = current_members(s, "staff");
    return std::find(m.begin(), m.end(), user_dn(2)) == m.end();
  };
  bool never_a_member = true;
  auto snap = wait_until(*source_, [&](const DirectorySnapshot& s) {
    never_a_member = never_a_member && in_no_group(s);
    return find_user_by_name(s, "user0002") != nullptr && canonical(s) == canonical(*fresh);
  });
  EXPECT_TRUE(never_a_member);
  ASSERT_NE(find_user_by_name(snap, "user0002"), nullptr);
  expect_view_matches_full_read();
}

TEST_F(LdapSyncTest, RenamedUserKeepsItsIdAndMemberships) {
  auto before = source_->snapshot();
  ASSERT_TRUE(before);
  const std::string id = find_user_by_name(*before, "user0001")->id;
  slapd_->modrdn(user_dn(1), "uid=renamed0001");
  const std::string new_dn = "uid=renamed0001," + std::string(kPeople);
  auto snap = wait_until(*source_, [&](const DirectorySnapshot& s) {
    const auto* u = find_user_by_id(s, id);
    return u && u->username == "renamed0001";
  });
  const auto* user = find_user_by_id(snap, id);
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->dn, new_dn);
  EXPECT_EQ(find_user_by_name(snap, "user0001"), nullptr);
  EXPECT_EQ(snap.users.size(), static_cast<std::size_t>(kUsers));
  const auto staff = members(snap, "staff");
  EXPECT_NE(std::find(staff.begin(), staff.end(), new_dn), staff.end());
  expect_view_matches_full_read();
}

TEST_F(LdapSyncTest, SlapdRestartBreaksTheStreamThenAReconnectResumesIt) {
  slapd_->stop();
  // The broken stream is reported as an Error, not as "no change".
  bool saw_error = false;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!saw_error && std::chrono::steady_clock::now() < deadline) {
    auto changed = source_->wait_for_changes(500ms, {});
    saw_error = !changed.has_value();
  }
  ASSERT_TRUE(saw_error) << "wait_for_changes never reported the outage";
  // While the server is down, reconnecting fails too.
  auto down = source_->wait_for_changes(500ms, {});
  EXPECT_FALSE(down.has_value());

  slapd_->start();
  slapd_->add(user_ldif(102));
  const auto deadline2 = std::chrono::steady_clock::now() + kDeadline;
  bool arrived = false;
  while (!arrived && std::chrono::steady_clock::now() < deadline2) {
    auto changed = source_->wait_for_changes(500ms, {});
    if (!changed) {
      std::this_thread::sleep_for(200ms);  // the daemon's backoff
      continue;
    }
    auto snap = source_->snapshot();
    ASSERT_TRUE(snap) << snap.error().message;
    arrived = find_user_by_name(*snap, "user0102") != nullptr;
  }
  ASSERT_TRUE(arrived);
  // And later changes keep flowing on the new connection.
  slapd_->remove(user_dn(5));
  wait_until(*source_, [](const DirectorySnapshot& s) {
    return find_user_by_name(s, "user0005") == nullptr;
  });
  expect_view_matches_full_read();
}

TEST_F(LdapSyncTest, ResumeFromStoredStateSkipsTheFullRefresh) {
  auto state = source_->resume_state();
  ASSERT_TRUE(state.has_value());
  source_.reset();  // the daemon stops

  // Changes while it is down.
  slapd_->add(user_ldif(103));
  slapd_->remove(user_dn(6));

  LdapSource resumed(source_options(slapd_->ldap_url(), true));
  resumed.restore_state(*state);
  auto snap = resumed.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_NE(find_user_by_name(*snap, "user0103"), nullptr);
  EXPECT_EQ(find_user_by_name(*snap, "user0006"), nullptr);
  EXPECT_EQ(snap->users.size(), static_cast<std::size_t>(kUsers));
  // Only the changes came back, not the 35 entries of a full refresh.
  EXPECT_LE(resumed.entries_received_in_last_refresh(), 2u);

  // Later changes still arrive.
  slapd_->add(user_ldif(104));
  auto later = wait_until(resumed, [](const DirectorySnapshot& s) {
    return find_user_by_name(s, "user0104") != nullptr;
  });
  EXPECT_EQ(later.users.size(), static_cast<std::size_t>(kUsers + 1));
  LdapSource full(source_options(slapd_->ldap_url(), false));
  auto fresh = full.snapshot();
  ASSERT_TRUE(fresh);
  EXPECT_EQ(canonical(later), canonical(*fresh));
}

// Issue 14.2 against slapd: a user who leaves the users filter gets a syncrepl delete while
// the groups still list them; when they match again after a restart, the resumed view has them
// in their groups, as a full read does.
TEST_F(LdapSyncTest, UserWhoLeavesTheFilterAndReturnsKeepsGroupsAfterResume) {
  auto options = source_options(slapd_->ldap_url(), true);
  options.users.filter = "(&(objectClass=inetOrgPerson)(!(description=away)))";
  auto source = std::make_unique<LdapSource>(options);
  auto first = source->snapshot();
  ASSERT_TRUE(first) << first.error().message;
  const std::string away = "dn: " + user_dn(2) + "\nchangetype: modify\n";
  slapd_->modify(away + "add: description\ndescription: away\n");
  wait_until(*source, [](const DirectorySnapshot& s) {
    return find_user_by_name(s, "user0002") == nullptr;
  });
  auto state = source->resume_state();
  ASSERT_TRUE(state.has_value());
  source.reset();  // the daemon stops

  slapd_->modify(away + "delete: description\n");  // user0002 matches again
  LdapSource resumed(options);
  resumed.restore_state(*state);
  auto snap = resumed.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  // It did resume: the change, and the 4 groups read again because user0002's DN had left.
  EXPECT_LE(resumed.entries_received_in_last_refresh(), 2u + 4u);
  ASSERT_NE(find_user_by_name(*snap, "user0002"), nullptr);
  EXPECT_EQ(current_members(*snap, "heads").size(), 1u);
  EXPECT_EQ(current_members(*snap, "staff").size(), 5u);
  options.incremental = false;
  LdapSource full(options);
  auto fresh = full.snapshot();
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_EQ(canonical(*snap), canonical(*fresh));
}

TEST_F(LdapSyncTest, StateForOtherOptionsIsIgnoredAndAFullRefreshFollows) {
  auto state = source_->resume_state();
  ASSERT_TRUE(state.has_value());
  auto options = source_options(slapd_->ldap_url(), true);
  options.users.filter = "(&(objectClass=inetOrgPerson)(uid=user000*))";
  LdapSource other(options);
  other.restore_state(*state);
  auto snap = other.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->users.size(), 9u);  // user0001..user0009, not the stored 30
  EXPECT_EQ(other.entries_received_in_last_refresh(), 9u + 4u);
}

// Version 1 states could have lost group members (issue 14.2), version 2 states lack the
// departed DNs: both are refreshed, not resumed.
TEST_F(LdapSyncTest, StateOfVersionOneOrTwoIsIgnoredAndAFullRefreshFollows) {
  auto state = source_->resume_state();
  ASSERT_TRUE(state.has_value());
  const std::string v3 = "tg-ldap-resume/3\n";
  ASSERT_TRUE(state->starts_with(v3));
  for (const char* old : {"tg-ldap-resume/1\n", "tg-ldap-resume/2\n"}) {
    SCOPED_TRACE(old);
    LdapSource other(source_options(slapd_->ldap_url(), true));
    other.restore_state(old + state->substr(v3.size()));
    EXPECT_FALSE(other.resume_state().has_value());
    auto snap = other.snapshot();
    ASSERT_TRUE(snap) << snap.error().message;
    EXPECT_EQ(snap->users.size(), static_cast<std::size_t>(kUsers));
    EXPECT_EQ(other.entries_received_in_last_refresh(), static_cast<std::size_t>(kUsers + 1 + 4));
  }
}

TEST_F(LdapSyncTest, GarbageStateIsIgnored) {
  LdapSource other(source_options(slapd_->ldap_url(), true));
  other.restore_state("not a state");
  auto snap = other.snapshot();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->users.size(), static_cast<std::size_t>(kUsers));
}

}  // namespace
}  // namespace trustgate

namespace trustgate {
namespace {

// The daemon's watcher thread waits for changes holding the connection, and takes it again as
// soon as it lets go; snapshot() and reconcile() from another thread must still get their turn
// (a plain mutex would let the watcher win every time, and the first sync could hang forever).
TEST_F(LdapSyncTest, AWatcherThreadWaitingForChangesLetsSnapshotAndReconcileThrough) {
  std::atomic<bool> stop{false};
  std::jthread watcher([&] {
    while (!stop) (void)source_->wait_for_changes(2s, {});
  });
  std::this_thread::sleep_for(300ms);  // the watcher is inside wait_for_changes now
  for (int round = 0; round < 3; ++round) {
    source_->reconcile();  // takes the connection: the view must be read again
    auto snap = source_->snapshot();
    ASSERT_TRUE(snap) << snap.error().message;
    EXPECT_EQ(snap->users.size(), static_cast<std::size_t>(kUsers));
  }
  stop = true;
}

}  // namespace
}  // namespace trustgate
