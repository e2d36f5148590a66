// Users name shared grant sets (schema version 4): one set per distinct list of grants, found
// by a key that spells the grants unambiguously, forgotten on rollback, checked on load.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "daemon/store/store.h"
#include "daemon/store/store_grant_sets.h"
#include "daemon/store/store_provenance_ids.h"
#include "daemon/testing/store_test_support.h"

namespace trustgate {
namespace {

using store_test::TempDir;

std::int64_t count(SQLite::Database& db, const std::string& table) {
  return db.execAndGet("SELECT count(*) FROM " + table).getInt64();
}

SharedProvenance staff_rule() {
  Provenance p;
  p.rule = "r-staff";
  p.group = "CN=Staff,DC=t";
  p.chain = {"CN=Staff,DC=t"};
  p.source = "ldap";
  return p;
}

User user_with_roles(std::string id, std::vector<std::string> roles, const SharedProvenance& via) {
  User u;
  u.id = id;
  u.username = std::move(id);
  for (auto& r : roles) u.roles.push_back(RoleGrant{std::move(r), via});
  return u;
}

class GrantSetStoreTest : public ::testing::Test {
 protected:
  AccessModel model_of(std::vector<User> users) {
    AccessModel m;
    for (auto& u : users) {
      for (const auto& g : u.roles) m.roles[g.role] = {g.role, g.role, {}};
      for (const auto& a : u.associations) {
        if (a.kind == AssociationKind::Institution)
          m.institutions[a.target] = {a.target, a.target, "https://s.example"};
      }
      std::string id = u.id;
      m.users[id] = std::move(u);
    }
    return m;
  }

  std::int64_t grant_sets(Store& store) {
    return store.with_db([](SQLite::Database& db) { return count(db, "grant_sets"); });
  }

  TempDir dir_;
  ManualClock clock_;
  std::string path_ = dir_.file("trustgate.db");
};

TEST_F(GrantSetStoreTest, UsersHoldingTheSameGrantsInTheSameOrderShareOneSet) {
  auto store = store_test::open_ok(path_, clock_);
  ASSERT_TRUE(store);
  const SharedProvenance via = staff_rule();
  User a = user_with_roles("a", {"head", "teacher"}, via);
  User b = user_with_roles("b", {"head", "teacher"}, via);
  User c = user_with_roles("c", {"teacher", "head"}, via);  // the same grants, another order
  User d = user_with_roles("d", {}, via);                   // none: a set too, with no rows
  User e = user_with_roles("e", {"head", "teacher"}, via);
  e.associations.push_back(Association{AssociationKind::Institution, "100001", via});
  const AccessModel model = model_of({a, b, c, d, e});
  ASSERT_TRUE(store->apply(model, {}));
  EXPECT_EQ(grant_sets(*store), 4);  // {a, b}, c, d, e
  store->with_db([](SQLite::Database& db) {
    EXPECT_EQ(db.execAndGet("SELECT count(DISTINCT grant_set) FROM users WHERE id IN ('a', 'b')")
                  .getInt(),
              1);
    EXPECT_EQ(count(db, "grant_set_roles"), 6);  // {a, b}: 2, c: 2, e: 2
    EXPECT_EQ(count(db, "user_roles"), 8);       // the view: one row per user and role
  });
  auto reopened = Store::open(path_, clock_);
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(store_test::load_model(**reopened).users == model.users);
}

TEST_F(GrantSetStoreTest, EqualGrantsInOtherProvenanceObjectsShareTheSetToo) {
  // The writer finds most sets by the identity of the grants' provenances; equal values in
  // other objects (as another mapping thread or pass makes them) still find the same set.
  auto store = store_test::open_ok(path_, clock_);
  ASSERT_TRUE(store);
  User a = user_with_roles("a", {"teacher"}, staff_rule());
  User b = user_with_roles("b", {"teacher"}, staff_rule());
  ASSERT_NE(a.roles[0].via.identity(), b.roles[0].via.identity());
  User c = user_with_roles("c", {"head"}, a.roles[0].via);  // a's object, another role
  ASSERT_TRUE(store->apply(model_of({a, b, c}), {}));
  EXPECT_EQ(grant_sets(*store), 2);  // {a, b}, c
  store->with_db([](SQLite::Database& db) {
    EXPECT_EQ(db.execAndGet("SELECT count(DISTINCT grant_set) FROM users WHERE id IN ('a', 'b')")
                  .getInt(),
              1);
  });
  // In the next revision too, with yet another object.
  User d = user_with_roles("d", {"teacher"}, staff_rule());
  ASSERT_TRUE(store->apply(model_of({a, b, c, d}), {}));
  EXPECT_EQ(grant_sets(*store), 2);
}

TEST_F(GrantSetStoreTest, AKeyCannotBeForgedByQuotesAndSeparatorsInARole) {
  auto store = store_test::open_ok(path_, clock_);
  ASSERT_TRUE(store);
  const SharedProvenance via = staff_rule();
  AccessModel model = model_of({user_with_roles("plain", {"p", "q"}, via)});
  ASSERT_TRUE(store->apply(model, {}));
  const std::int64_t via_id = store->with_db(
      [](SQLite::Database& db) { return db.execAndGet("SELECT id FROM provenances").getInt64(); });
  // Spelled without doubling its quotes, this one role would make the key of ["p", "q"]:
  // r'p'@1,r'q'@1.
  const std::string forged = fmt::format("p'@{},r'q", via_id);
  std::string plain_key;
  GrantSetIds::append_key(plain_key, model.users.at("plain"), {via_id, via_id});
  EXPECT_EQ(plain_key, fmt::format("r'p'@{0},r'q'@{0}|", via_id));
  User forger = user_with_roles("forger", {forged}, via);
  model = model_of({model.users.at("plain"), forger});
  ASSERT_TRUE(store->apply(model, {}));
  EXPECT_EQ(grant_sets(*store), 2);
  auto reopened = Store::open(path_, clock_);
  ASSERT_TRUE(reopened);
  const AccessModel back = store_test::load_model(**reopened);
  ASSERT_EQ(back.users.at("forger").roles.size(), 1u);
  EXPECT_EQ(back.users.at("forger").roles[0].role, forged);
  EXPECT_EQ(back.users.at("plain").roles.size(), 2u);
}

TEST_F(GrantSetStoreTest, SetsOfARolledBackTransactionAreForgotten) {
  { ASSERT_TRUE(Store::open(path_, clock_)); }  // creates the schema
  SQLite::Database db(path_, SQLite::OPEN_READWRITE);
  ProvenanceIds provenances(db);
  GrantSetIds sets(db, provenances);
  const User u = user_with_roles("u", {"teacher"}, staff_rule());
  {
    SQLite::Transaction txn(db);
    sets.id_for(u);
    EXPECT_EQ(count(db, "grant_sets"), 1);
  }  // rolled back: the set is gone
  sets.rolled_back();
  EXPECT_EQ(count(db, "grant_sets"), 0);
  SQLite::Transaction txn(db);
  const std::int64_t id = sets.id_for(u);  // inserted again, not the forgotten id
  EXPECT_EQ(sets.id_for(u), id);           // and found again in the same transaction
  txn.commit();
  sets.committed();
  EXPECT_EQ(db.execAndGet("SELECT id FROM grant_sets").getInt64(), id);
  EXPECT_EQ(count(db, "grant_set_roles"), 1);
}

TEST_F(GrantSetStoreTest, AUserNamingNoSetIsReportedAsCorrupt) {
  {
    auto store = store_test::open_ok(path_, clock_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->apply(model_of({user_with_roles("u1", {"teacher"}, staff_rule())}), {}));
    store->with_db([](SQLite::Database& db) { db.exec("UPDATE users SET grant_set = 77"); });
  }
  auto reader = Store::open(path_, clock_);
  ASSERT_TRUE(reader);
  auto loaded = (*reader)->load_current();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, "store.corrupt");
  EXPECT_NE(loaded.error().message.find("users.grant_set: no grant set 77 (user u1)"),
            std::string::npos)
      << loaded.error().message;
}

}  // namespace
}  // namespace trustgate
