#include "connectors/ldap/sync_view.h"

#include <gtest/gtest.h>

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

TEST(SyncViewTest, DeletedUserLeavesEveryGroup) {
  SyncView view;
  view.put_user("u1", user("u1", "uid=ann,dc=x", "ann"));
  view.put_user("u2", user("u2", "uid=bob,dc=x", "bob"));
  view.put_group("g1", group("g1", "cn=a,dc=x", {"uid=ann,dc=x", "uid=bob,dc=x"}));
  view.put_group("g2", group("g2", "cn=b,dc=x", {"uid=ann,dc=x", "cn=a,dc=x"}));
  EXPECT_TRUE(view.remove(SyncKind::Users, "u1"));
  auto snap = view.snapshot("src");
  EXPECT_EQ(snap.users.size(), 1u);
  EXPECT_EQ(find_group(snap, "g1")->member_dns, std::vector<std::string>{"uid=bob,dc=x"});
  EXPECT_EQ(find_group(snap, "g2")->member_dns, std::vector<std::string>{"cn=a,dc=x"});
  EXPECT_FALSE(view.remove(SyncKind::Users, "u1"));
}

TEST(SyncViewTest, DeletedGroupLeavesParentGroups) {
  SyncView view;
  view.put_group("g1", group("g1", "cn=a,dc=x", {}));
  view.put_group("g2", group("g2", "cn=b,dc=x", {"cn=a,dc=x"}));
  view.remove(SyncKind::Groups, "g1");
  auto snap = view.snapshot("src");
  ASSERT_EQ(snap.groups.size(), 1u);
  EXPECT_TRUE(snap.groups[0].member_dns.empty());
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
