#include "connectors/ldap/ad_view.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

using namespace std::chrono;

AdUser user(const std::string& id, const std::string& dn, AdAccountState account = {}) {
  AdUser u;
  u.user.id = id;
  u.user.dn = dn;
  u.user.username = id + "-name";
  u.account = account;
  return u;
}

DirectoryGroup group(const std::string& id, const std::string& dn,
                     std::vector<std::string> members) {
  DirectoryGroup g;
  g.id = id;
  g.dn = dn;
  g.name = id;
  g.member_dns = std::move(members);
  return g;
}

const DirectoryUser* find_user(const DirectorySnapshot& s, const std::string& id) {
  for (const auto& u : s.users)
    if (u.id == id) return &u;
  return nullptr;
}

TEST(AdViewTest, EnabledIsComputedAtSnapshotTime) {
  const auto t0 = system_clock::time_point{seconds{1'800'000'000}};
  AdView view;
  view.put_user(user("u1", "CN=u1,DC=x", AdAccountState{false, time_to_filetime(t0 + hours(1))}));
  view.put_user(user("u2", "CN=u2,DC=x", AdAccountState{true, std::nullopt}));
  auto before = view.snapshot("ad", t0);
  EXPECT_TRUE(find_user(before, "u1")->enabled);
  EXPECT_FALSE(find_user(before, "u2")->enabled);
  auto after = view.snapshot("ad", t0 + hours(2));
  EXPECT_FALSE(find_user(after, "u1")->enabled);
}

TEST(AdViewTest, RenamedUserKeepsIdAndGroupsFollow) {
  AdView view;
  view.put_user(user("u1", "CN=old,DC=x"));
  view.put_group(group("g1", "CN=g1,DC=x", {"CN=old,DC=x"}));
  view.put_user(user("u1", "CN=new,DC=x"));
  auto s = view.snapshot("ad", system_clock::now());
  ASSERT_EQ(s.users.size(), 1u);
  EXPECT_EQ(s.users[0].dn, "CN=new,DC=x");
  ASSERT_EQ(s.groups.size(), 1u);
  EXPECT_EQ(s.groups[0].member_dns, std::vector<std::string>{"CN=new,DC=x"});
}

// Issue 14 (found by ad_equivalence_test): a deleted user, or one out of the filter, stayed in
// the polled view until the next full read. A poll now removes it, with its account state.
TEST(AdViewTest, RemovedUserAndGroupLeaveTheView) {
  AdView view;
  view.put_user(user("u1", "CN=u1,DC=x", AdAccountState{true, std::nullopt}));
  view.put_group(group("g1", "CN=g1,DC=x", {"CN=u1,DC=x"}));
  EXPECT_TRUE(view.remove(SyncKind::Users, "u1"));
  EXPECT_FALSE(view.remove(SyncKind::Users, "u1"));
  auto s = view.snapshot("ad", system_clock::now());
  EXPECT_TRUE(s.users.empty());
  EXPECT_TRUE(view.remove(SyncKind::Groups, "g1"));
  EXPECT_TRUE(view.snapshot("ad", system_clock::now()).groups.empty());
}

TEST(AdViewTest, EncodeDecodeRoundTrips) {
  AdView view;
  view.put_user(user("u1", "CN=u1,DC=x", AdAccountState{false, 133'000'000'000'000'000LL}));
  view.put_user(user("u2", "CN=u2,DC=x", AdAccountState{true, std::nullopt}));
  view.put_group(group("g1", "CN=g1,DC=x", {"CN=u1,DC=x", "CN=u2,DC=x"}));
  view.put_malformed(SyncKind::Users, "dn:CN=bad,DC=x");
  std::string encoded;
  view.encode(encoded);
  std::string_view in = encoded;
  auto back = AdView::decode(in);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(in.empty());
  EXPECT_TRUE(*back == view);
  EXPECT_EQ(back->snapshot("ad", system_clock::now()).malformed_entries, 1u);
}

TEST(AdViewTest, DecodeRejectsTruncatedInput) {
  AdView view;
  view.put_user(user("u1", "CN=u1,DC=x"));
  std::string encoded;
  view.encode(encoded);
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, encoded.size() / 2}) {
    std::string_view in = std::string_view(encoded).substr(0, cut);
    EXPECT_FALSE(AdView::decode(in)) << cut;
  }
}

}  // namespace
}  // namespace trustgate
