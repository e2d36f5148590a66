// The SQLite store against real files in a temp dir.
#include "daemon/store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "daemon/store/store_codec.h"
#include "daemon/store/store_model_compare.h"
#include "daemon/store/store_schema.h"
#include "daemon/testing/store_test_support.h"
#include "daemon/testing/synthetic_model.h"

namespace trustgate {
namespace {

using store_test::load_model;
using store_test::open_ok;
using store_test::options;
using store_test::TempDir;
using store_test::total_changes;

Provenance rule(std::string rule_id, std::vector<std::string> chain, std::string source) {
  Provenance p;
  p.kind = Provenance::Kind::Rule;
  p.rule = std::move(rule_id);
  p.group = chain.empty() ? std::string() : chain.back();
  p.chain = std::move(chain);
  p.source = std::move(source);
  return p;
}

// Every field the store keeps, with the awkward values: DNs with escaped commas, quotes,
// backslashes and non-ASCII; control characters; an empty chain; vectors out of sorted order;
// ids the model does not define (dangling references are kept as they are).
AccessModel rich_model() {
  AccessModel m;
  m.permissions["mis.login.associated_institutions"] = {"mis.login.associated_institutions",
                                                        "Login to MIS: Associated institutions"};
  m.permissions["mis.reports"] = {"mis.reports", "Reports \"all\""};
  m.roles["teacher"] = {"teacher", "Teacher", {"mis.login.associated_institutions"}};
  m.roles["head"] = {"head", "Head teacher", {"mis.reports", "mis.login.associated_institutions"}};
  m.roles["empty"] = {"empty", "", {}};
  m.institutions["100001"] = {"100001", "St Mary's C of E Primary",
                              "https://mis.stmarys.example/handoff", SecondFactorPolicy::Always};
  m.institutions["100002"] = {"100002", "Brontë Academy", "https://bronte.example/h",
                              SecondFactorPolicy::WhenMfa};
  m.institutions["100003"] = {"100003", "Third", "", SecondFactorPolicy::Always};
  m.clusters["primaries"] = {"primaries", "Primaries", {"100003", "100001", "100002"}};
  m.clusters["none"] = {"none", "Empty cluster", {}};

  User alice;
  alice.id = "guid-alice";
  alice.username = "alice";
  alice.display_name = "Alice O'Neil";
  alice.email = "alice@trust.example";
  alice.dn = "CN=O'Neil\\, Alice,OU=Staff,DC=trust,DC=example";
  alice.source = "ad";
  alice.roles = {
      {"head", rule("r-head", {"CN=Heads,OU=G,DC=t", "CN=Leaders \"SLT\",OU=G,DC=t"}, "ad")},
      {"teacher", rule("r-teach", {"CN=Staff\\, all,OU=G,DC=t"}, "ad")},
  };
  alice.associations = {
      {AssociationKind::Cluster, "primaries",
       rule("r-cluster", {"CN=a\\\\b,DC=t", "CN=tab\there\nnewline\x01,DC=t", "CN=Ωμέγα,DC=t"},
            "ad")},
      {AssociationKind::Institution, "100002", rule("r-inst", {}, "ad")},
      {AssociationKind::All, "", rule("r-all", {"CN=All,DC=t"}, "ldif")},
  };
  User bob;
  bob.id = "guid-bob";
  bob.username = "bob";
  bob.source = "ldif";
  bob.enabled = false;
  Provenance manual;
  manual.kind = Provenance::Kind::Manual;
  manual.source = "operator:carol";
  bob.roles = {{"no-such-role", manual}};
  bob.associations = {{AssociationKind::Institution, "999999", manual}};
  User nobody;  // no grants at all
  nobody.id = "guid-nobody";
  nobody.username = "nobody";
  m.users[alice.id] = alice;
  m.users[bob.id] = bob;
  m.users[nobody.id] = nobody;
  return m;
}

class StoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  ManualClock clock_;
  std::string path_ = dir_.file("trustgate.db");
};

TEST_F(StoreTest, CreatesAndMigratesANewFile) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
  auto info = store->current_info();
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->has_value());
  auto loaded = store->load_current();
  ASSERT_TRUE(loaded);
  EXPECT_FALSE(loaded->has_value());
  auto revisions = store->revisions(10);
  ASSERT_TRUE(revisions);
  EXPECT_TRUE(revisions->empty());
  store->with_db([](SQLite::Database& db) {
    EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), Store::kSchemaVersion);
    EXPECT_EQ(db.execAndGet("PRAGMA application_id").getInt(), store_schema::kApplicationId);
    EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
    EXPECT_EQ(db.execAndGet("PRAGMA foreign_keys").getInt(), 1);
    EXPECT_EQ(db.execAndGet("PRAGMA synchronous").getInt(), 2);  // FULL
    // A user row names its grant set without a foreign key (schema version 4): SQLite would
    // look the set up for every user written. A set's rows go with it.
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM pragma_foreign_key_list('users')").getInt(), 0);
    for (const char* table : {"grant_set_roles", "grant_set_associations"}) {
      EXPECT_EQ(db.execAndGet(fmt::format("SELECT \"table\" || ' ' || on_delete FROM "
                                          "pragma_foreign_key_list('{}')",
                                          table))
                    .getString(),
                "grant_sets CASCADE")
          << table;
    }
    // The grant tables of version 3 remain as views, for operators' queries.
    for (const char* view : {"user_roles", "user_associations"}) {
      EXPECT_EQ(db.execAndGet(fmt::format("SELECT type FROM sqlite_master WHERE name = '{}'", view))
                    .getString(),
                "view")
          << view;
    }
    for (const char* table :
         {"revisions", "permissions", "roles", "role_permissions", "institutions", "clusters",
          "cluster_institutions", "users", "grant_sets", "grant_set_roles",
          "grant_set_associations", "provenances", "manual_associations", "source_state",
          "sync_status"}) {
      EXPECT_TRUE(db.tableExists(table)) << table;
    }
  });
}

TEST_F(StoreTest, MigratesAnExistingEmptyFile) {
  { std::ofstream(path_, std::ios::binary); }  // zero bytes, as `touch` leaves it
  ASSERT_EQ(std::filesystem::file_size(path_), 0u);
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
  ASSERT_TRUE(store->apply(rich_model(), options("ad", "first")));
}

TEST_F(StoreTest, MigrationListIsGapFreeAndReachesTheCurrentVersion) {
  const auto& list = store_schema::migrations();
  ASSERT_FALSE(list.empty());
  for (std::size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i].version, int(i) + 1);
  EXPECT_EQ(list.back().version, Store::kSchemaVersion);
}

TEST_F(StoreTest, RoundTripsARichModelExactly) {
  const AccessModel model = rich_model();
  {
    auto store = open_ok(path_, clock_);
    ASSERT_TRUE(store);
    auto info = store->apply(model, options("ad,ldif", "users +3"));
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->users, 3u);
    EXPECT_EQ(info->institutions, 3u);
    EXPECT_EQ(info->clusters, 2u);
    EXPECT_EQ(info->grants, 2u + 3u + 2u);
    auto loaded = store->load_current();
    ASSERT_TRUE(loaded && *loaded);
    EXPECT_EQ(first_difference((*loaded)->model, model), "");
    EXPECT_EQ((*loaded)->info.number, info->number);
  }
  // A new connection reads the same from the file, field by field.
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  AccessModel back = load_model(*store);
  EXPECT_EQ(first_difference(back, model), "");
  const User& alice = back.users.at("guid-alice");
  EXPECT_EQ(alice.dn, "CN=O'Neil\\, Alice,OU=Staff,DC=trust,DC=example");
  ASSERT_EQ(alice.associations.size(), 3u);
  EXPECT_EQ(alice.associations[0].via->chain,
            (std::vector<std::string>{"CN=a\\\\b,DC=t", "CN=tab\there\nnewline\x01,DC=t",
                                      "CN=Ωμέγα,DC=t"}));
  EXPECT_TRUE(alice.associations[1].via->chain.empty());
  EXPECT_EQ(alice.associations[2].kind, AssociationKind::All);
  EXPECT_EQ(alice.roles[0].role, "head");  // stored order, not sorted
  EXPECT_FALSE(back.users.at("guid-bob").enabled);
  EXPECT_EQ(back.users.at("guid-bob").roles[0].via->kind, Provenance::Kind::Manual);
  EXPECT_EQ(back.users.at("guid-bob").roles[0].via->source, "operator:carol");
  EXPECT_EQ(back.institutions.at("100001").skip_second_factor, SecondFactorPolicy::Always);
  EXPECT_EQ(back.institutions.at("100002").skip_second_factor, SecondFactorPolicy::WhenMfa);
  EXPECT_EQ(back.clusters.at("primaries").institutions,
            (std::vector<std::string>{"100003", "100001", "100002"}));
  EXPECT_EQ(back.roles.at("head").permissions,
            (std::vector<std::string>{"mis.reports", "mis.login.associated_institutions"}));
}

TEST_F(StoreTest, NumbersRevisionsAndKeepsTheirSummariesNewestFirst) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  AccessModel model = rich_model();
  const std::int64_t t0 = unix_seconds(clock_.now());
  auto r1 = store->apply(model, options("ad", "users +3"));
  clock_.advance(std::chrono::seconds(60));
  model.users.erase("guid-nobody");
  auto r2 = store->apply(model, options("ad,ldif", "users -1", /*forced=*/true));
  clock_.advance(std::chrono::seconds(60));
  auto r3 = store->apply(model, options("ldif", "no changes"));
  ASSERT_TRUE(r1 && r2 && r3);
  EXPECT_EQ(r1->number, 1);
  EXPECT_EQ(r2->number, 2);
  EXPECT_EQ(r3->number, 3);

  auto all = store->revisions(10);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].number, 3);
  EXPECT_EQ((*all)[0].summary, "no changes");
  EXPECT_EQ((*all)[0].sources, "ldif");
  EXPECT_EQ((*all)[0].applied_at, t0 + 120);
  EXPECT_FALSE((*all)[0].forced);
  EXPECT_EQ((*all)[1].number, 2);
  EXPECT_EQ((*all)[1].summary, "users -1");
  EXPECT_EQ((*all)[1].sources, "ad,ldif");
  EXPECT_EQ((*all)[1].applied_at, t0 + 60);
  EXPECT_TRUE((*all)[1].forced);
  EXPECT_EQ((*all)[1].users, 2u);
  EXPECT_EQ((*all)[2].number, 1);
  EXPECT_EQ((*all)[2].users, 3u);
  EXPECT_EQ((*all)[2].applied_at, t0);

  auto two = store->revisions(2);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].number, 3);
  EXPECT_EQ((*two)[1].number, 2);

  auto current = store->current_info();
  ASSERT_TRUE(current && *current);
  EXPECT_EQ((*current)->number, 3);
  EXPECT_EQ((*current)->summary, "no changes");
}

TEST_F(StoreTest, IncrementalApplyWritesOnlyWhatDiffersAndEqualsAFreshLoad) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  AccessModel model = synthetic_model({.users = 3000, .institutions = 60, .clusters = 6});
  ASSERT_TRUE(store->apply(model, options("ad", "initial")));
  const int after_first = total_changes(*store);
  // The first apply writes every user row, and the rows of each grant set the users hold.
  EXPECT_GT(after_first, 3000);

  // One user's membership changes: the user row and its grants are rewritten, nothing else.
  change_membership(model, 1234);
  ASSERT_TRUE(store->apply(model, options("ad", "users ~1")));
  const int delta = total_changes(*store) - after_first;
  EXPECT_GT(delta, 1);
  EXPECT_LT(delta, 20) << "rows written for a one-user change";

  // An apply of the same model touches nothing but the revision row.
  const int before_same = total_changes(*store);
  ASSERT_TRUE(store->apply(model, options("ad", "none")));
  EXPECT_EQ(total_changes(*store) - before_same, 1);

  // Every kind of change at once: removed, added and changed entities of each table.
  model.users.erase(std::next(model.users.begin(), 10)->first);
  model.users.erase(std::prev(model.users.end())->first);
  User added;
  added.id = "a-new-user";
  added.username = "newbie";
  added.roles = {{"role-1", rule("r", {"CN=G"}, "ad")}};
  model.users[added.id] = added;
  auto nth_id = [&](std::ptrdiff_t n) { return std::next(model.users.begin(), n)->first; };
  model.users[nth_id(0)].enabled = !model.users.begin()->second.enabled;
  model.users[nth_id(500)].roles.clear();
  {
    Association& a = model.users[nth_id(600)].associations[0];
    Provenance longer = *a.via;
    longer.chain.push_back("CN=X");
    a.via = longer;
  }
  model.institutions.erase(model.institutions.begin());
  model.institutions["999999"] = {"999999", "New school", "https://n.example", {}};
  model.institutions.rbegin()->second.skip_second_factor = SecondFactorPolicy::Always;
  std::swap(model.clusters.begin()->second.institutions[0],
            model.clusters.begin()->second.institutions[1]);
  model.clusters.erase(std::prev(model.clusters.end()));
  model.roles.begin()->second.permissions.push_back("mis.reports.view");
  model.roles.erase(std::prev(model.roles.end()));
  model.permissions.erase("mis.reports.view");
  model.permissions["p.new"] = {"p.new", "New"};
  const int before_mixed = total_changes(*store);
  ASSERT_TRUE(store->apply(model, options("ad", "mixed")));
  EXPECT_LT(total_changes(*store) - before_mixed, 200);

  EXPECT_EQ(first_difference(load_model(*store), model), "");
  auto fresh = open_ok(path_, clock_);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(first_difference(load_model(*fresh), model), "");
}

TEST_F(StoreTest, AnApplyLeavesItsCopyIntoTheDatabaseFileToCheckpoint) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  auto file_and_pages = [&] {
    const auto pages = store->with_db([](SQLite::Database& db) {
      return db.execAndGet("PRAGMA page_count").getInt64() *
             db.execAndGet("PRAGMA page_size").getInt64();
    });
    return std::pair<std::uintmax_t, std::uintmax_t>(std::filesystem::file_size(path_),
                                                     static_cast<std::uintmax_t>(pages));
  };
  ASSERT_TRUE(store->apply(synthetic_model({.users = 3000}), options("ad", "initial")));
  auto [file, pages] = file_and_pages();
  EXPECT_LT(file, pages) << "the revision's pages wait in the write-ahead log";
  ASSERT_TRUE(store->checkpoint());
  std::tie(file, pages) = file_and_pages();
  EXPECT_EQ(file, pages);
  // Readers of another connection saw the revision all along.
  auto other = open_ok(path_, clock_);
  ASSERT_TRUE(other);
  EXPECT_EQ(load_model(*other).users.size(), 3000u);
}

TEST_F(StoreTest, RemovedAndReplacedUsersLeaveNoGrantRowsBehind) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  AccessModel model = synthetic_model({.users = 50});
  ASSERT_TRUE(store->apply(model, options("ad", "initial")));
  auto grant_rows_of = [&](const std::string& id) {
    return store->with_db([&](SQLite::Database& db) {
      SQLite::Statement q(db,
                          "SELECT (SELECT count(*) FROM user_roles WHERE user_id = ?1) + "
                          "(SELECT count(*) FROM user_associations WHERE user_id = ?1)");
      q.bind(1, id);
      q.executeStep();
      return q.getColumn(0).getInt();
    });
  };
  const std::string removed = std::next(model.users.begin(), 3)->first;
  const std::string replaced = std::next(model.users.begin(), 7)->first;
  ASSERT_GT(grant_rows_of(removed), 0);
  ASSERT_GT(grant_rows_of(replaced), 1);

  model.users.erase(removed);
  User fewer = model.users.at(replaced);  // one grant less: the user is deleted and re-inserted
  ASSERT_FALSE(fewer.associations.empty());
  fewer.associations.pop_back();
  const int expected = static_cast<int>(fewer.roles.size() + fewer.associations.size());
  model.users[replaced] = fewer;
  ASSERT_TRUE(store->apply(model, options("ad", "users -1 ~1")));

  EXPECT_EQ(grant_rows_of(removed), 0);
  EXPECT_EQ(grant_rows_of(replaced), expected);
  auto fresh = open_ok(path_, clock_);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(first_difference(load_model(*fresh), model), "");
}

TEST_F(StoreTest, ApplyAfterReopenDiffsAgainstTheStoredModel) {
  AccessModel model = synthetic_model({.users = 200});
  {
    auto store = open_ok(path_, clock_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->apply(model, options("ad", "initial")));
  }
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  change_membership(model, 7);
  model.users.erase(std::next(model.users.begin(), 3)->first);
  const int before = total_changes(*store);
  auto info = store->apply(model, options("ad", "second"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->number, 2);
  EXPECT_LT(total_changes(*store) - before, 20);  // diffed against the file, not rewritten
  EXPECT_EQ(first_difference(load_model(*store), model), "");
}

TEST_F(StoreTest, AnotherConnectionsApplyIsNotOverwrittenByAStaleCopy) {
  auto a = open_ok(path_, clock_);
  auto b = open_ok(path_, clock_);
  ASSERT_TRUE(a && b);
  AccessModel m1 = rich_model();
  ASSERT_TRUE(a->apply(m1, options("ad", "1")));
  AccessModel m2 = m1;
  m2.users.erase("guid-bob");
  m2.institutions["100004"] = {"100004", "Fourth", "https://4.example", {}};
  ASSERT_TRUE(b->apply(m2, options("ad", "2")));
  AccessModel m3 = m1;  // `a` still holds m1 in memory; the file holds m2
  m3.users["guid-alice"].email = "new@trust.example";
  auto r3 = a->apply(m3, options("ad", "3"));
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->number, 3);
  EXPECT_EQ(first_difference(load_model(*b), m3), "");
}

TEST_F(StoreTest, ManualAssociationsAreIdempotentAndSurviveNewRevisions) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  ManualAssociation a{"guid-alice", AssociationKind::Institution, "100003", "carol", 1000};
  ManualAssociation b{"guid-bob", AssociationKind::All, "", "dave", 2000};
  ManualAssociation c{"guid-alice", AssociationKind::Cluster, "primaries", "carol", 3000};
  ASSERT_TRUE(store->add_manual(a));
  ASSERT_TRUE(store->add_manual(b));
  ASSERT_TRUE(store->add_manual(c));
  ManualAssociation again = a;
  again.created_by = "eve";
  again.created_at = 9999;
  ASSERT_TRUE(store->add_manual(again));  // idempotent: keeps the first one

  AccessModel model = rich_model();
  ASSERT_TRUE(store->apply(model, options("ad", "1")));
  model.users.erase("guid-alice");  // even a user gone from the directory keeps them
  ASSERT_TRUE(store->apply(model, options("ad", "2")));

  store.reset();
  store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  auto list = store->manual_associations();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].user_id, "guid-alice");
  EXPECT_EQ((*list)[0].kind, AssociationKind::Cluster);
  EXPECT_EQ((*list)[0].target, "primaries");
  EXPECT_EQ((*list)[1].kind, AssociationKind::Institution);
  EXPECT_EQ((*list)[1].target, "100003");
  EXPECT_EQ((*list)[1].created_by, "carol");
  EXPECT_EQ((*list)[1].created_at, 1000);
  EXPECT_EQ((*list)[2].user_id, "guid-bob");
  EXPECT_EQ((*list)[2].kind, AssociationKind::All);
  EXPECT_EQ((*list)[2].target, "");
  EXPECT_EQ((*list)[2].created_by, "dave");

  auto wrong_kind = store->remove_manual("guid-alice", AssociationKind::Cluster, "100003");
  ASSERT_TRUE(wrong_kind);
  EXPECT_FALSE(*wrong_kind);
  auto removed = store->remove_manual("guid-alice", AssociationKind::Institution, "100003");
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  auto twice = store->remove_manual("guid-alice", AssociationKind::Institution, "100003");
  ASSERT_TRUE(twice);
  EXPECT_FALSE(*twice);
  list = store->manual_associations();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 2u);
  // The revisions' models never contain them.
  for (const auto& [id, user] : load_model(*store).users) {
    for (const auto& assoc : user.associations) {
      EXPECT_NE(assoc.target, "100003") << id;
    }
  }
}

TEST_F(StoreTest, SourceStateIsWrittenWithTheRevisionOrNotAtAll) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  auto none = store->source_state("ad");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  AccessModel model = rich_model();
  ApplyOptions first = options("ad,ldif", "1");
  first.source_states = {{"ad", "usn=100;dc=dc1"}, {"ldif", "sha=abc"}};
  ASSERT_TRUE(store->apply(model, first));
  EXPECT_EQ(store->source_state("ad").value(), std::optional<std::string>("usn=100;dc=dc1"));
  EXPECT_EQ(store->source_state("ldif").value(), std::optional<std::string>("sha=abc"));

  // A failure inside the transaction (a trigger refusing one user row, installed for this test)
  // leaves neither the revision, nor the model change, nor the new source state.
  store->with_db([](SQLite::Database& db) {
    db.exec(
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON users WHEN NEW.id = 'poison' "
        "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END");
  });
  AccessModel bad = model;
  bad.users.erase("guid-nobody");
  bad.users["poison"] = User{.id = "poison", .username = "poison"};
  ApplyOptions second = options("ad", "2");
  second.source_states = {{"ad", "usn=200;dc=dc1"}};
  auto failed = store->apply(bad, second);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("poisoned row"), std::string::npos);
  EXPECT_EQ(store->source_state("ad").value(), std::optional<std::string>("usn=100;dc=dc1"));
  EXPECT_EQ(store->current_info().value()->number, 1);
  EXPECT_EQ(first_difference(load_model(*store), model), "");

  // The store recovers: the next apply diffs against what the file really holds.
  bad.users.erase("poison");
  auto ok = store->apply(bad, second);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->number, 2);
  EXPECT_EQ(store->source_state("ad").value(), std::optional<std::string>("usn=200;dc=dc1"));
  EXPECT_EQ(store->source_state("ldif").value(), std::optional<std::string>("sha=abc"));
  auto fresh = open_ok(path_, clock_);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(first_difference(load_model(*fresh), bad), "");
}

TEST_F(StoreTest, ReopenGivesTheSameCurrentRevision) {
  AccessModel model = synthetic_model({.users = 500});
  RevisionInfo last;
  {
    auto store = open_ok(path_, clock_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->apply(rich_model(), options("ad", "1")));
    clock_.advance(std::chrono::seconds(5));
    auto r = store->apply(model, options("ad", "2"));
    ASSERT_TRUE(r);
    last = *r;
    ASSERT_TRUE(store->record_sync_success(1'800'000'123));
  }
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  auto info = store->current_info();
  ASSERT_TRUE(info && *info);
  EXPECT_EQ((*info)->number, 2);
  EXPECT_EQ((*info)->applied_at, last.applied_at);
  EXPECT_EQ((*info)->users, last.users);
  EXPECT_EQ((*info)->grants, last.grants);
  EXPECT_EQ((*info)->summary, "2");
  auto loaded = store->load_current();
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->info.number, 2);
  EXPECT_EQ(first_difference((*loaded)->model, model), "");
  EXPECT_EQ(store->last_sync_success().value(), std::optional<std::int64_t>(1'800'000'123));
}

TEST_F(StoreTest, RecordsTheLastSyncSuccess) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  auto none = store->last_sync_success();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store->record_sync_success(100));
  ASSERT_TRUE(store->record_sync_success(250));
  EXPECT_EQ(store->last_sync_success().value(), std::optional<std::int64_t>(250));
}

TEST_F(StoreTest, RefusesAStoreFromANewerVersion) {
  { ASSERT_TRUE(open_ok(path_, clock_)); }
  {
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA user_version = " + std::to_string(Store::kSchemaVersion + 1));
  }
  auto store = Store::open(path_, clock_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, "store.too_new");
  EXPECT_NE(store.error().message.find(std::to_string(Store::kSchemaVersion + 1)),
            std::string::npos)
      << store.error().message;
}

TEST_F(StoreTest, RefusesAFileThatIsNotSQLiteAndLeavesItUntouched) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>("not a database\n"[i % 15]);
  { std::ofstream(path_, std::ios::binary) << garbage; }
  auto store = Store::open(path_, clock_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, "store.not_a_store");
  EXPECT_NE(store.error().message.find(path_), std::string::npos);
  std::ifstream in(path_, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), garbage);
}

TEST_F(StoreTest, RefusesAnotherApplicationsSQLiteFile) {
  {
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)");
  }
  auto store = Store::open(path_, clock_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, "store.foreign");
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  EXPECT_FALSE(raw.tableExists("revisions"));
  EXPECT_EQ(raw.execAndGet("PRAGMA user_version").getInt(), 0);
}

TEST_F(StoreTest, ReportsAnUnopenablePath) {
  // A missing folder is created; one that cannot be (a file stands in its way) is an error.
  std::ofstream(dir_.file("blocker")) << "not a folder";
  auto store = Store::open(dir_.file("blocker/trustgate.db"), clock_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, "store.open");
}

TEST_F(StoreTest, CreatesAMissingStateFolder) {
  auto store = Store::open(dir_.file("state/sub/trustgate.db"), clock_);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir_.file("state/sub/trustgate.db")));
}

TEST_F(StoreTest, ReportsADamagedRowAsAnErrorNotAThrow) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->apply(rich_model(), options("ad", "1")));
  store->with_db(
      [](SQLite::Database& db) { db.exec("UPDATE provenances SET chain = '[\"unterminated'"); });
  // A fresh connection reads the file (this one serves its revision from memory).
  auto reader = open_ok(path_, clock_);
  ASSERT_TRUE(reader);
  auto loaded = reader->load_current();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, "store.corrupt");
  EXPECT_NE(loaded.error().message.find("provenances.chain"), std::string::npos);
}

TEST_F(StoreTest, RefusesAModelWhoseKeysAreNotItsIds) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  AccessModel model = rich_model();
  model.users["guid-alice"].id = "someone-else";
  auto r = store->apply(model, options("ad", "1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "store.invalid");
  EXPECT_FALSE(store->current_info().value().has_value());
}

TEST_F(StoreTest, ConcurrentCallersGetDistinctRevisionsAndConsistentReads) {
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  const AccessModel base = synthetic_model({.users = 300});
  constexpr int kThreads = 4, kAppliesEach = 5;
  std::vector<std::vector<std::int64_t>> numbers(kThreads);
  std::mutex applied_mutex;
  std::map<std::int64_t, AccessModel> applied;  // revision number -> model
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      AccessModel mine = base;
      for (int i = 0; i < kAppliesEach; ++i) {
        change_membership(mine, static_cast<std::size_t>(t * 50 + i));
        auto r = store->apply(mine, options("ad", fmt::format("t{} i{}", t, i)));
        if (r) {
          numbers[t].push_back(r->number);
          std::lock_guard lock(applied_mutex);
          applied[r->number] = mine;
        }
        auto loaded = store->load_current();
        EXPECT_TRUE(loaded && *loaded);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::int64_t> all;
  for (const auto& n : numbers) all.insert(n.begin(), n.end());
  EXPECT_EQ(all.size(), std::size_t{kThreads * kAppliesEach});
  EXPECT_EQ(*all.rbegin(), kThreads * kAppliesEach);
  auto revisions = store->revisions(100);
  ASSERT_TRUE(revisions);
  EXPECT_EQ(revisions->size(), std::size_t{kThreads * kAppliesEach});
  // Each apply diffed against whatever the previous one (from any thread) left.
  EXPECT_EQ(first_difference(load_model(*store), applied.rbegin()->second), "");
  auto fresh = open_ok(path_, clock_);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(first_difference(load_model(*fresh), applied.rbegin()->second), "");
}

TEST(StoreCodecTest, ChainsRoundTripAnyBytes) {
  for (const std::vector<std::string>& chain : std::vector<std::vector<std::string>>{
           {},
           {""},
           {"", ""},
           {"CN=a,DC=b"},
           {"CN=x\\,y\"z,DC=b", "CN=back\\\\slash", "[not],\"json\""},
           {std::string("nul\0inside", 10), "\x1f\x7f\xff", "ünïcødé"}}) {
    std::string json = store_codec::encode_chain(chain);
    auto back = store_codec::decode_chain(json);
    ASSERT_TRUE(back) << json;
    EXPECT_EQ(*back, chain) << json;
  }
  EXPECT_EQ(store_codec::encode_chain({"a", "b\"c"}), R"(["a","b\"c"])");
}

TEST(StoreCodecTest, RejectsTextTheStoreNeverWrites) {
  for (std::string_view bad : {"", "[", "]", "[\"a\"", "[\"a\",]", "[\"a\"]x", "[a]", "[\"\\q\"]",
                               "[\"\\u12\"]", "[\"a\" \"b\"]", "[\"\\u0100\"]"}) {
    EXPECT_FALSE(store_codec::decode_chain(bad).has_value()) << bad;
  }
  EXPECT_FALSE(store_codec::decode_association_kind("Institution"));
  EXPECT_FALSE(store_codec::decode_second_factor(""));
  EXPECT_FALSE(store_codec::decode_provenance_kind("auto"));
  for (auto k : {AssociationKind::Institution, AssociationKind::Cluster, AssociationKind::All}) {
    EXPECT_EQ(store_codec::decode_association_kind(store_codec::encode(k)), k);
  }
  for (auto p : {SecondFactorPolicy::Always, SecondFactorPolicy::WhenMfa}) {
    EXPECT_EQ(store_codec::decode_second_factor(store_codec::encode(p)), p);
  }
}

}  // namespace
}  // namespace trustgate
