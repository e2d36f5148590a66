// Grants name shared provenance rows (schema version 2): one row per provenance, shared objects
// on load, unused rows collected, version-1 files migrated with every grant kept.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>

#include "daemon/store/store.h"
#include "daemon/store/store_grant_sets.h"
#include "daemon/store/store_provenance_ids.h"
#include "daemon/store/store_schema.h"
#include "daemon/testing/store_test_support.h"

namespace trustgate {
namespace {

using store_test::TempDir;

Provenance rule_via(std::string rule, std::string group) {
  Provenance p;
  p.rule = std::move(rule);
  p.group = group;
  p.chain = {"CN=Direct,DC=t", std::move(group)};
  p.source = "ldap";
  return p;
}

AccessModel model_with(const std::vector<std::pair<std::string, SharedProvenance>>& grants) {
  AccessModel m;
  m.roles["teacher"] = {"teacher", "Teacher", {}};
  for (const auto& [user_id, via] : grants) {
    User& u = m.users[user_id];
    u.id = user_id;
    u.username = user_id;
    u.roles.push_back(RoleGrant{"teacher", via});
    u.associations.push_back(Association{AssociationKind::Institution, "100001", via});
  }
  return m;
}

std::int64_t count(SQLite::Database& db, const std::string& table) {
  return db.execAndGet("SELECT count(*) FROM " + table).getInt64();
}

class ProvenanceStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  ManualClock clock_;
  std::string path_ = dir_.file("trustgate.db");
};

TEST_F(ProvenanceStoreTest, GrantsOfOneProvenanceShareOneRowAndOneObjectOnLoad) {
  const SharedProvenance shared = rule_via("r-staff", "CN=Staff,DC=t");
  // The same value in another object (as a later mapping pass makes it) is the same row too.
  const SharedProvenance equal_copy = rule_via("r-staff", "CN=Staff,DC=t");
  const SharedProvenance other = rule_via("r-heads", "CN=Heads,DC=t");
  const AccessModel model =
      model_with({{"u1", shared}, {"u2", shared}, {"u3", equal_copy}, {"u4", other}});
  {
    auto store = Store::open(path_, clock_);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->apply(model, {}));
    (*store)->with_db([](SQLite::Database& db) {
      EXPECT_EQ(count(db, "provenances"), 2);
      EXPECT_EQ(count(db, "grant_sets"), 2);  // u1, u2 and u3 hold the same grants
      EXPECT_EQ(count(db, "user_roles"), 4);
      EXPECT_EQ(db.execAndGet("SELECT count(DISTINCT via) FROM user_associations").getInt(), 2);
    });
  }
  auto reopened = Store::open(path_, clock_);
  ASSERT_TRUE(reopened);
  auto loaded = (*reopened)->load_current();
  ASSERT_TRUE(loaded && *loaded);
  const AccessModel& back = (*loaded)->model;
  EXPECT_TRUE(back.users == model.users);
  std::set<const Provenance*> objects;
  for (const auto& [id, user] : back.users) {
    for (const auto& g : user.roles) objects.insert(g.via.identity());
    for (const auto& a : user.associations) objects.insert(a.via.identity());
  }
  EXPECT_EQ(objects.size(), 2u);  // one object per row, shared by every grant naming it
}

TEST_F(ProvenanceStoreTest, RowsNoGrantNamesAreCollected) {
  const SharedProvenance staff = rule_via("r-staff", "CN=Staff,DC=t");
  const SharedProvenance heads = rule_via("r-heads", "CN=Heads,DC=t");
  {
    auto store = Store::open(path_, clock_);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->apply(model_with({{"u1", staff}, {"u2", heads}}), {}));
    ASSERT_TRUE((*store)->apply(model_with({{"u1", staff}}), {}));  // u2 and "heads" gone
  }
  SQLite::Database db(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX);
  db.exec("PRAGMA foreign_keys = ON");
  ASSERT_EQ(count(db, "provenances"), 2);  // not yet collected: collection is periodic
  ASSERT_EQ(count(db, "grant_sets"), 2);
  ProvenanceIds ids(db, /*collect_every=*/1);
  GrantSetIds sets(db, ids, /*collect_every=*/1);
  SQLite::Transaction txn(db);
  // u2's set first, then the provenance only that set named.
  const GrantGarbage gone = sets.collect_garbage();
  EXPECT_EQ(gone.grant_sets, 1u);
  EXPECT_EQ(gone.provenances, 1u);
  txn.commit();
  sets.committed();
  EXPECT_EQ(count(db, "grant_sets"), 1);
  EXPECT_EQ(count(db, "grant_set_roles"), 1);  // the set's rows went with it
  EXPECT_EQ(count(db, "provenances"), 1);
  EXPECT_EQ(db.execAndGet("SELECT rule FROM provenances").getString(), "r-staff");
  // The survivor is still found by value, not inserted again.
  SQLite::Transaction again(db);
  const std::int64_t id = db.execAndGet("SELECT id FROM provenances").getInt64();
  EXPECT_EQ(ids.id_for(rule_via("r-staff", "CN=Staff,DC=t")), id);
  again.commit();
  ids.committed();
  EXPECT_EQ(count(db, "provenances"), 1);
}

TEST_F(ProvenanceStoreTest, IdsFromARolledBackTransactionAreForgotten) {
  { ASSERT_TRUE(Store::open(path_, clock_)); }  // creates the schema
  SQLite::Database db(path_, SQLite::OPEN_READWRITE);
  ProvenanceIds ids(db);
  const SharedProvenance p = rule_via("r-new", "CN=New,DC=t");
  {
    SQLite::Transaction txn(db);
    ids.id_for(p);
    EXPECT_EQ(count(db, "provenances"), 1);
  }  // rolled back: the row is gone
  ids.rolled_back();
  EXPECT_EQ(count(db, "provenances"), 0);
  SQLite::Transaction txn(db);
  const std::int64_t id = ids.id_for(p);  // inserted again, not the forgotten id
  txn.commit();
  ids.committed();
  EXPECT_EQ(db.execAndGet("SELECT id FROM provenances").getInt64(), id);
}

TEST_F(ProvenanceStoreTest, AGrantNamingNoProvenanceIsReportedAsCorrupt) {
  {
    auto store = Store::open(path_, clock_);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->apply(model_with({{"u1", rule_via("r", "CN=G,DC=t")}}), {}));
    (*store)->with_db(
        [](SQLite::Database& db) { db.exec("UPDATE grant_set_roles SET via = 999"); });
  }
  auto reader = Store::open(path_, clock_);
  ASSERT_TRUE(reader);
  auto loaded = (*reader)->load_current();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, "store.corrupt");
  EXPECT_NE(loaded.error().message.find("grant_set_roles.via: no provenance 999"),
            std::string::npos);
}

// A file as trustgate wrote it at schema version 1: provenance spelled out in every grant row.
void write_version_1_store(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec(std::string(store_schema::migrations().at(0).sql));
  db.exec(fmt::format("PRAGMA application_id = {}", store_schema::kApplicationId));
  db.exec("PRAGMA user_version = 1");
  db.exec(R"sql(
    INSERT INTO revisions VALUES (1, 100, 'ldap', 2, 1, 0, 5, 'first', 0);
    INSERT INTO roles VALUES ('teacher', 'Teacher');
    INSERT INTO institutions VALUES ('100001', 'Alder', 'https://alder.example', 'always');
    INSERT INTO users VALUES ('u1', 'alice', 'Alice', 'a@x', 'cn=alice', 'ldap', 1);
    INSERT INTO users VALUES ('u2', 'bob', 'Bob', 'b@x', 'cn=bob', 'ldap', 1);
    INSERT INTO users VALUES ('u3', 'cy', 'Cy', 'c@x', 'cn=cy', 'ldap', 0);
    INSERT INTO user_roles VALUES
      ('u1', 0, 'teacher', 'rule', 'r-staff', 'cn=staff', '["cn=sub","cn=staff"]', 'ldap'),
      ('u2', 0, 'teacher', 'rule', 'r-staff', 'cn=staff', '["cn=sub","cn=staff"]', 'ldap'),
      ('u3', 0, 'teacher', 'rule', 'r-staff', 'cn=staff', '["cn=sub","cn=staff"]', 'ldap');
    INSERT INTO user_associations VALUES
      ('u1', 0, 'institution', '100001', 'rule', 'r-staff', 'cn=staff', '["cn=sub","cn=staff"]',
       'ldap'),
      ('u1', 1, 'all', '', 'manual', '', '', '[]', 'operator:carol'),
      ('u2', 0, 'institution', '100001', 'rule', 'r-direct', 'cn=staff', '["cn=staff"]', 'ldap'),
      ('u3', 0, 'institution', '100001', 'rule', 'r-direct', 'cn=staff', '["cn=staff"]', 'ldap');
  )sql");
}

TEST_F(ProvenanceStoreTest, MigratesAVersion1StoreKeepingEveryGrant) {
  write_version_1_store(path_);
  auto store = Store::open(path_, clock_);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->schema_version(), Store::kSchemaVersion);  // through every later version
  auto loaded = (*store)->load_current();
  ASSERT_TRUE(loaded && *loaded);
  const AccessModel& m = (*loaded)->model;
  ASSERT_EQ(m.users.size(), 3u);
  const User& alice = m.users.at("u1");
  const User& bob = m.users.at("u2");
  ASSERT_EQ(alice.roles.size(), 1u);
  EXPECT_EQ(alice.roles[0].role, "teacher");
  EXPECT_EQ(
      *alice.roles[0].via,
      (Provenance{Provenance::Kind::Rule, "r-staff", "cn=staff", {"cn=sub", "cn=staff"}, "ldap"}));
  ASSERT_EQ(alice.associations.size(), 2u);
  EXPECT_EQ(alice.associations[0].target, "100001");
  EXPECT_EQ(alice.associations[0].via, alice.roles[0].via);
  EXPECT_EQ(alice.associations[1].kind, AssociationKind::All);
  EXPECT_EQ(*alice.associations[1].via,
            (Provenance{Provenance::Kind::Manual, "", "", {}, "operator:carol"}));
  ASSERT_EQ(bob.associations.size(), 1u);
  EXPECT_EQ(bob.associations[0].via->rule, "r-direct");
  EXPECT_EQ(bob.associations[0].via->chain, std::vector<std::string>{"cn=staff"});
  const User& cy = m.users.at("u3");
  EXPECT_FALSE(cy.enabled);
  EXPECT_EQ(cy.roles, bob.roles);
  EXPECT_EQ(cy.associations, bob.associations);
  (*store)->with_db([](SQLite::Database& db) {
    EXPECT_EQ(count(db, "provenances"), 3);  // r-staff, manual, r-direct
    EXPECT_EQ(count(db, "grant_sets"), 2);   // bob and cy share one
    EXPECT_EQ(count(db, "user_roles") + count(db, "user_associations"), 7);
  });
  // And the migrated store takes the next revision as any other: bob's grants go with him, and
  // a new user holding alice's grants finds the set the migration made (the writer spells a
  // set's key as the migration's SQL does).
  AccessModel next = m;
  next.users.erase("u2");
  User dee = alice;
  dee.id = "u4";
  dee.username = "dee";
  next.users[dee.id] = dee;
  ASSERT_TRUE((*store)->apply(next, {}));
  (*store)->with_db([](SQLite::Database& db) {
    EXPECT_EQ(count(db, "grant_sets"), 2);
    EXPECT_EQ(count(db, "user_roles") + count(db, "user_associations"), 8);
  });
  auto again = (*store)->load_current();
  ASSERT_TRUE(again && *again);
  EXPECT_TRUE((*again)->model.users == next.users);
}

}  // namespace
}  // namespace trustgate
