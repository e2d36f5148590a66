#include "connectors/ldap/sync_view.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "mapping/group_tree.h"

namespace trustgate {
namespace {

DirectoryUser user(const std::string& id, const std::string& dn, const std::string& uid) {
  return DirectoryUser{id, dn, uid, "Name " + uid, uid + "@la.example", true};
}

DirectoryGroup group(const std::string& id, const std::string& dn,
                     std::vector<std::string> members) {
  return DirectoryGroup{id, dn, "g" + id, "", std::move(members), {}};
}

const DirectoryGroup* find_group(const DirectorySnapshot& s, const std::string& id) {
  for (const auto& g : s.groups)
    if (g.id == id) return &g;
  return nullptr;
}

// What a fresh full read of exactly these entries returns (read_all: the entries as the server
// holds them, nothing derived).
DirectorySnapshot full_read(std::vector<DirectoryUser> users, std::vector<DirectoryGroup> groups) {
  DirectorySnapshot snap;
  snap.source = "src";
  snap.users = std::move(users);
  snap.groups = std::move(groups);
  return snap;
}

// What the LDAP source does when the view asks for it: the server sends every group again.
void refresh_groups(SyncView& view, const std::vector<DirectoryGroup>& groups) {
  ASSERT_TRUE(view.needs_group_refresh());
  view.groups_refresh_started();
  for (const auto& g : groups) view.put_group(g.id, g);
  view.groups_refreshed();
  EXPECT_FALSE(view.needs_group_refresh());
}

// The view after a restart: encoded as the resume state stores it, and decoded again.
SyncView resumed(const SyncView& view) {
  std::string encoded;
  view.encode(encoded);
  std::string_view in(encoded);
  auto decoded = SyncView::decode(in);
  EXPECT_TRUE(decoded && in.empty());
  return decoded ? std::move(*decoded) : SyncView{};
}

// user id -> ids of the groups that contain the user directly, as the mapping stage resolves
// them (member values naming no current user are ignored).
std::map<std::string, std::set<std::string>> direct_groups(const DirectorySnapshot& s) {
  GroupTree tree(s.groups, s.users);
  std::map<std::string, std::set<std::string>> out;
  for (std::size_t u = 0; u < s.users.size(); ++u) {
    auto& ids = out[s.users[u].id];
    for (std::size_t g : tree.direct_groups(u)) ids.insert(s.groups[g].id);
  }
  return out;
}

// The snapshot and the memberships it implies are those of the full read.
void expect_same_as_full_read(DirectorySnapshot got, DirectorySnapshot want) {
  auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };
  for (auto* s : {&got, &want}) {
    std::sort(s->users.begin(), s->users.end(), by_id);
    std::sort(s->groups.begin(), s->groups.end(), by_id);
  }
  EXPECT_EQ(got.users, want.users);
  ASSERT_EQ(got.groups.size(), want.groups.size());
  for (std::size_t g = 0; g < got.groups.size(); ++g) {
    EXPECT_EQ(got.groups[g].id, want.groups[g].id);
    EXPECT_EQ(got.groups[g].dn, want.groups[g].dn);
    EXPECT_EQ(got.groups[g].member_dns, want.groups[g].member_dns) << got.groups[g].id;
    EXPECT_EQ(got.groups[g].member_uids, want.groups[g].member_uids) << got.groups[g].id;
  }
  EXPECT_EQ(got.malformed_entries, want.malformed_entries);
  EXPECT_EQ(direct_groups(got), direct_groups(want));
}

TEST(SyncViewTest, RenameKeepsIdentityAndRewritesMemberships) {
  SyncView view;
  view.put_user("u1", user("u1", "uid=ann,ou=people,dc=x", "ann"));
  view.put_group("g1", group("g1", "cn=staff,ou=groups,dc=x", {"UID=ann, ou=people,dc=x"}));
  view.put_user("u1", user("u1", "uid=anne,ou=people,dc=x", "anne"));
  auto snap = view.snapshot("src");
  ASSERT_EQ(snap.users.size(), 1u);
  EXPECT_EQ(snap.users[0].dn, "uid=anne,ou=people,dc=x");
  EXPECT_EQ(find_group(snap, "g1")->member_dns,
            std::vector<std::string>{"uid=anne,ou=people,dc=x"});
}

// A deleted user is in no group because it is not a user: the groups' member values stay as
// the server sent them (refint's rewrites never reach a syncrepl consumer).
TEST(SyncViewTest, DeletedUserLeavesEveryGroup) {
  SyncView view;
  const auto bob = user("u2", "uid=bob,dc=x", "bob");
  const auto a = group("g1", "cn=a,dc=x", {"uid=ann,dc=x", "uid=bob,dc=x"});
  const auto b = group("g2", "cn=b,dc=x", {"uid=ann,dc=x", "cn=a,dc=x"});
  view.put_user("u1", user("u1", "uid=ann,dc=x", "ann"));
  view.put_user("u2", bob);
  view.put_group("g1", a);
  view.put_group("g2", b);
  EXPECT_TRUE(view.remove(SyncKind::Users, "u1"));
  auto snap = view.snapshot("src");
  expect_same_as_full_read(snap, full_read({bob}, {a, b}));
  EXPECT_EQ(direct_groups(snap), (std::map<std::string, std::set<std::string>>{{"u2", {"g1"}}}));
  EXPECT_FALSE(view.remove(SyncKind::Users, "u1"));
}

// Likewise a deleted group is no longer nested anywhere, though its parent still lists it.
TEST(SyncViewTest, DeletedGroupLeavesParentGroups) {
  SyncView view;
  const auto parent = group("g2", "cn=b,dc=x", {"cn=a,dc=x"});
  view.put_group("g1", group("g1", "cn=a,dc=x", {}));
  view.put_group("g2", parent);
  view.remove(SyncKind::Groups, "g1");
  auto snap = view.snapshot("src");
  expect_same_as_full_read(snap, full_read({}, {parent}));
  GroupTree tree(snap.groups, snap.users);
  EXPECT_TRUE(tree.parents()[0].empty());
}

// Issue 14.2: a user who leaves the users filter gets a syncrepl delete, but the groups still
// list them; when they come back, they are in those groups again, also after a restart.
TEST(SyncViewTest, UserWhoLeavesTheFilterAndReturnsKeepsGroupsAfterResume) {
  const auto ann = user("u1", "uid=ann,ou=people,dc=x", "ann");
  const auto bob = user("u2", "uid=bob,ou=people,dc=x", "bob");
  const auto staff =
      group("g1", "cn=staff,ou=groups,dc=x", {"UID=Ann,ou=people,dc=x", "uid=bob,ou=people,dc=x"});
  const auto heads = group("g2", "cn=heads,ou=groups,dc=x", {"uid=ann,ou=people,dc=x"});
  SyncView view;
  view.put_user("u1", ann);
  view.put_user("u2", bob);
  view.put_group("g1", staff);
  view.put_group("g2", heads);

  view.remove(SyncKind::Users, "u1");  // ann no longer matches the users filter
  expect_same_as_full_read(resumed(view).snapshot("src"), full_read({bob}, {staff, heads}));

  SyncView after_restart = resumed(view);
  after_restart.put_user("u1", ann);  // ann matches again
  // Until the groups are read again her memberships wait (the view cannot tell this from a
  // delete that refint cleaned up on the server); bob's stay.
  SyncView waiting = resumed(after_restart);
  EXPECT_TRUE(direct_groups(waiting.snapshot("src"))["u1"].empty());
  EXPECT_EQ(direct_groups(waiting.snapshot("src"))["u2"], std::set<std::string>{"g1"});
  refresh_groups(waiting, {staff, heads});  // the server still lists her
  auto snap = resumed(waiting).snapshot("src");
  expect_same_as_full_read(snap, full_read({ann, bob}, {staff, heads}));
  EXPECT_EQ(direct_groups(snap)["u1"], (std::set<std::string>{"g1", "g2"}));
}

// Issue 14.2: a user deleted and re-created with the same DN (a new entryUUID) while a group
// still lists that DN is a member again, as a full read sees it, also after a restart.
TEST(SyncViewTest, RecreatedUserWithSameDnIsInItsGroupsAgainAfterResume) {
  const auto staff = group("g1", "cn=staff,dc=x", {"uid=ann,dc=x"});
  const auto nested = group("g2", "cn=all,dc=x", {"cn=staff,dc=x", "uid=ann,dc=x"});
  SyncView view;
  view.put_user("u1", user("u1", "uid=ann,dc=x", "ann"));
  view.put_group("g1", staff);
  view.put_group("g2", nested);
  view.remove(SyncKind::Users, "u1");

  SyncView after_restart = resumed(view);
  const auto again = user("u1b", "uid=ann,dc=x", "ann");
  after_restart.put_user("u1b", again);
  SyncView waiting = resumed(after_restart);
  EXPECT_TRUE(direct_groups(waiting.snapshot("src"))["u1b"].empty());
  refresh_groups(waiting, {staff, nested});
  auto snap = resumed(waiting).snapshot("src");
  expect_same_as_full_read(snap, full_read({again}, {staff, nested}));
  EXPECT_EQ(direct_groups(snap)["u1b"], (std::set<std::string>{"g1", "g2"}));
}

// With refint on the server, deleting ann also deleted her member values there, but a syncrepl
// consumer is never told. A new ann with the same DN must not inherit the old one's groups:
// the view fails closed until the groups are read again, and the refresh shows the truth.
TEST(SyncViewTest, RecreatedUserDoesNotInheritGroupsRefintEmptiedOnTheServer) {
  const auto staff = group("g1", "cn=staff,dc=x", {"uid=ann,dc=x", "uid=bob,dc=x"});
  const auto bob = user("u2", "uid=bob,dc=x", "bob");
  SyncView view;
  view.put_user("u1", user("u1", "uid=ann,dc=x", "ann"));
  view.put_user("u2", bob);
  view.put_group("g1", staff);
  view.remove(SyncKind::Users, "u1");
  const auto again = user("u1b", "UID=Ann,dc=x", "ann");
  view.put_user("u1b", again);
  EXPECT_TRUE(view.needs_group_refresh());
  EXPECT_TRUE(direct_groups(resumed(view).snapshot("src"))["u1b"].empty());
  const auto staff_on_server = group("g1", "cn=staff,dc=x", {"uid=bob,dc=x"});  // refint ran
  refresh_groups(view, {staff_on_server});
  auto snap = resumed(view).snapshot("src");
  expect_same_as_full_read(snap, full_read({again, bob}, {staff_on_server}));
  EXPECT_TRUE(direct_groups(snap)["u1b"].empty());
}

// A group the server sends after the DN returned is the server's word: its values count.
TEST(SyncViewTest, AGroupSentAfterTheReturnIsTrustedForTheReturnedDn) {
  const auto staff = group("g1", "cn=staff,dc=x", {"uid=ann,dc=x"});
  const auto heads = group("g2", "cn=heads,dc=x", {"uid=ann,dc=x"});
  SyncView view;
  view.put_user("u1", user("u1", "uid=ann,dc=x", "ann"));
  view.put_group("g1", staff);
  view.put_group("g2", heads);
  view.remove(SyncKind::Users, "u1");
  view.put_group("g1", staff);  // sent while ann was away: refint may still rewrite it
  view.put_user("u1b", user("u1b", "uid=ann,dc=x", "ann"));
  EXPECT_TRUE(direct_groups(resumed(view).snapshot("src"))["u1b"].empty());
  view.put_group("g2", heads);  // sent after she returned: it lists her
  EXPECT_EQ(direct_groups(resumed(view).snapshot("src"))["u1b"], std::set<std::string>{"g2"});
}

// Found by LdapEquivalenceTest (seed 3): ann left the filter, the groups were read again, then
// ann was deleted while out of the view (refint emptied her values, unseen) and re-created. A
// refresh between her departure and her return settles nothing about her.
TEST(SyncViewTest, UserDeletedWhileAwayDoesNotReturnWithStaleGroups) {
  const auto staff = group("g1", "cn=staff,dc=x", {"uid=ann,dc=x"});
  SyncView view;
  view.put_user("u1", user("u1", "uid=ann,dc=x", "ann"));
  view.put_group("g1", staff);
  view.remove(SyncKind::Users, "u1");  // out of the filter
  view.groups_refresh_started();       // some other return made the source read the groups
  view.put_group("g1", staff);         // ann still listed: she was only away
  view.groups_refreshed();
  // ann is deleted on the server (refint removes her from g1, unseen) and created again.
  const auto again = user("u1b", "uid=ann,dc=x", "ann");
  view.put_user("u1b", again);
  EXPECT_TRUE(direct_groups(resumed(view).snapshot("src"))["u1b"].empty());
  const auto staff_on_server = group("g1", "cn=staff,dc=x", {});
  refresh_groups(view, {staff_on_server});
  expect_same_as_full_read(resumed(view).snapshot("src"), full_read({again}, {staff_on_server}));
}

TEST(SyncViewTest, MalformedEntriesAreCountedAndReplaceable) {
  SyncView view;
  view.put_user("u1", user("u1", "uid=ann,dc=x", "ann"));
  view.put_malformed(SyncKind::Users, "u1");
  view.put_malformed(SyncKind::Groups, "g9");
  auto snap = view.snapshot("src");
  EXPECT_TRUE(snap.users.empty());
  EXPECT_EQ(snap.malformed_entries, 2u);
  view.put_user("u1", user("u1", "uid=ann,dc=x", "ann"));
  EXPECT_EQ(view.snapshot("src").malformed_entries, 1u);
  EXPECT_EQ(view.uuids(SyncKind::Groups), std::set<std::string>{"g9"});
}

TEST(SyncViewTest, EncodeDecodeRoundTrips) {
  SyncView view;
  auto u = user("u1", "uid=a:b,dc=x", "a:b");
  u.enabled = false;
  view.put_user("uuid-1", u);
  DirectoryGroup g{"g1", "cn=x,dc=x", "x", "desc\nwith newline", {"uid=a:b,dc=x"}, {"a", "b"}};
  view.put_group("uuid-2", g);
  view.put_malformed(SyncKind::Groups, "uuid-3");
  std::string encoded;
  view.encode(encoded);
  encoded += "trailer";
  std::string_view in(encoded);
  auto decoded = SyncView::decode(in);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(in, "trailer");
  auto snap = decoded->snapshot("src");
  ASSERT_EQ(snap.users.size(), 1u);
  EXPECT_EQ(snap.users[0].dn, u.dn);
  EXPECT_EQ(snap.users[0].email, u.email);
  EXPECT_FALSE(snap.users[0].enabled);
  ASSERT_EQ(snap.groups.size(), 1u);
  EXPECT_EQ(snap.groups[0].description, g.description);
  EXPECT_EQ(snap.groups[0].member_dns, g.member_dns);
  EXPECT_EQ(snap.groups[0].member_uids, g.member_uids);
  EXPECT_EQ(snap.malformed_entries, 1u);
}

TEST(SyncViewTest, DecodeRejectsTruncatedInput) {
  SyncView view;
  view.put_user("uuid-1", user("u1", "uid=a,dc=x", "a"));
  std::string encoded;
  view.encode(encoded);
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, encoded.size() / 2, encoded.size() - 1}) {
    std::string_view in(encoded.data(), cut);
    EXPECT_FALSE(SyncView::decode(in)) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace trustgate
