#include "daemon/store/store_schema.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <exception>

namespace trustgate::store_schema {
namespace {

// Version 1. Model tables hold only the current revision; vectors keep their order through a
// `position` column; a provenance chain is a JSON array (store_codec). No foreign keys point at
// roles/permissions/institutions: the store keeps exactly the model it is given, dangling ids
// included. Children cascade from their owner so that a changed owner is deleted and
// reinserted in two statements.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE revisions (
  number       INTEGER PRIMARY KEY,
  applied_at   INTEGER NOT NULL,
  sources      TEXT    NOT NULL,
  users        INTEGER NOT NULL,
  institutions INTEGER NOT NULL,
  clusters     INTEGER NOT NULL,
  grants       INTEGER NOT NULL,
  summary      TEXT    NOT NULL,
  forced       INTEGER NOT NULL
);
CREATE TABLE permissions (
  id   TEXT PRIMARY KEY,
  name TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE roles (
  id   TEXT PRIMARY KEY,
  name TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE role_permissions (
  role_id       TEXT    NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  permission_id TEXT    NOT NULL,
  PRIMARY KEY (role_id, position)
) WITHOUT ROWID;
CREATE TABLE institutions (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL,
  mis_url            TEXT NOT NULL,
  skip_second_factor TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE clusters (
  id   TEXT PRIMARY KEY,
  name TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE cluster_institutions (
  cluster_id     TEXT    NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
  position       INTEGER NOT NULL,
  institution_id TEXT    NOT NULL,
  PRIMARY KEY (cluster_id, position)
) WITHOUT ROWID;
CREATE TABLE users (
  id           TEXT PRIMARY KEY,
  username     TEXT    NOT NULL,
  display_name TEXT    NOT NULL,
  email        TEXT    NOT NULL,
  dn           TEXT    NOT NULL,
  source       TEXT    NOT NULL,
  enabled      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE user_roles (
  user_id    TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  role_id    TEXT    NOT NULL,
  via_kind   TEXT    NOT NULL,
  via_rule   TEXT    NOT NULL,
  via_group  TEXT    NOT NULL,
  via_chain  TEXT    NOT NULL,
  via_source TEXT    NOT NULL,
  PRIMARY KEY (user_id, position)
) WITHOUT ROWID;
CREATE TABLE user_associations (
  user_id    TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  kind       TEXT    NOT NULL,
  target     TEXT    NOT NULL,
  via_kind   TEXT    NOT NULL,
  via_rule   TEXT    NOT NULL,
  via_group  TEXT    NOT NULL,
  via_chain  TEXT    NOT NULL,
  via_source TEXT    NOT NULL,
  PRIMARY KEY (user_id, position)
) WITHOUT ROWID;
CREATE TABLE manual_associations (
  user_id    TEXT    NOT NULL,
  kind       TEXT    NOT NULL,
  target     TEXT    NOT NULL,
  created_by TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, kind, target)
) WITHOUT ROWID;
CREATE TABLE source_state (
  source TEXT PRIMARY KEY,
  state  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE sync_status (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  last_success INTEGER NOT NULL
);
)sql";

// Version 2. A grant row names its provenance by id: every member of a group that a rule
// matches shares one provenance (rule, group, chain, source), so a row holds an integer instead
// of four strings and a chain. Rows no grant names are collected by the writer from time to
// time. `via` has no foreign key on purpose: SQLite would scan both grant tables for every
// provenance deleted; the writer keeps ids valid and the reader checks them.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE provenances (
  id       INTEGER PRIMARY KEY,
  kind     TEXT NOT NULL,
  rule     TEXT NOT NULL,
  group_dn TEXT NOT NULL,
  chain    TEXT NOT NULL,
  source   TEXT NOT NULL,
  UNIQUE (kind, rule, group_dn, chain, source)
);
INSERT INTO provenances (kind, rule, group_dn, chain, source)
  SELECT via_kind, via_rule, via_group, via_chain, via_source FROM user_roles
  UNION
  SELECT via_kind, via_rule, via_group, via_chain, via_source FROM user_associations;
CREATE TABLE user_roles_v2 (
  user_id  TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  role_id  TEXT    NOT NULL,
  via      INTEGER NOT NULL,
  PRIMARY KEY (user_id, position)
) WITHOUT ROWID;
INSERT INTO user_roles_v2 (user_id, position, role_id, via)
  SELECT r.user_id, r.position, r.role_id, p.id
  FROM user_roles r JOIN provenances p
    ON p.kind = r.via_kind AND p.rule = r.via_rule AND p.group_dn = r.via_group
   AND p.chain = r.via_chain AND p.source = r.via_source;
DROP TABLE user_roles;
ALTER TABLE user_roles_v2 RENAME TO user_roles;
CREATE TABLE user_associations_v2 (
  user_id  TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  kind     TEXT    NOT NULL,
  target   TEXT    NOT NULL,
  via      INTEGER NOT NULL,
  PRIMARY KEY (user_id, position)
) WITHOUT ROWID;
INSERT INTO user_associations_v2 (user_id, position, kind, target, via)
  SELECT a.user_id, a.position, a.kind, a.target, p.id
  FROM user_associations a JOIN provenances p
    ON p.kind = a.via_kind AND p.rule = a.via_rule AND p.group_dn = a.via_group
   AND p.chain = a.via_chain AND p.source = a.via_source;
DROP TABLE user_associations;
ALTER TABLE user_associations_v2 RENAME TO user_associations;
)sql";

// Version 3. The grant tables lose their foreign key to users: SQLite looked the owner up for
// every grant row inserted, about a fifth of a first apply's SQLite time. The writer deletes a
// user's grant rows itself (store_model_writer.cc), and the reader reports a grant row of an
// unknown user as `store.corrupt`. Rows that were already orphans are not carried over.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE user_roles_v3 (
  user_id  TEXT    NOT NULL,
  position INTEGER NOT NULL,
  role_id  TEXT    NOT NULL,
  via      INTEGER NOT NULL,
  PRIMARY KEY (user_id, position)
) WITHOUT ROWID;
INSERT INTO user_roles_v3 SELECT user_id, position, role_id, via FROM user_roles
  WHERE user_id IN (SELECT id FROM users);
DROP TABLE user_roles;
ALTER TABLE user_roles_v3 RENAME TO user_roles;
CREATE TABLE user_associations_v3 (
  user_id  TEXT    NOT NULL,
  position INTEGER NOT NULL,
  kind     TEXT    NOT NULL,
  target   TEXT    NOT NULL,
  via      INTEGER NOT NULL,
  PRIMARY KEY (user_id, position)
) WITHOUT ROWID;
INSERT INTO user_associations_v3 SELECT user_id, position, kind, target, via
  FROM user_associations WHERE user_id IN (SELECT id FROM users);
DROP TABLE user_associations;
ALTER TABLE user_associations_v3 RENAME TO user_associations;
)sql";

// Version 4. A user's grants are a shared set (store_grant_sets.h): users holding the same
// grants name one set, so a full sync writes one row per user and a few thousand sets' rows,
// where version 3 wrote two grant rows per user (half of a first apply's SQLite time). A set is
// found by its key, its grants spelled in order ('r' || quote(role) || '@' || via, then '|',
// then 'a' || kind || quote(target) || '@' || via), as GrantSetIds::append_key spells it.
// users.grant_set has no foreign key, for the reason version 3 dropped those of the grant
// rows; the reader reports an unknown set as store.corrupt. The views keep the version 3 shape
// for operators' queries.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE grant_sets (
  id  INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE
);
CREATE TABLE grant_set_roles (
  set_id   INTEGER NOT NULL REFERENCES grant_sets(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  role_id  TEXT    NOT NULL,
  via      INTEGER NOT NULL,
  PRIMARY KEY (set_id, position)
) WITHOUT ROWID;
CREATE TABLE grant_set_associations (
  set_id   INTEGER NOT NULL REFERENCES grant_sets(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  kind     TEXT    NOT NULL,
  target   TEXT    NOT NULL,
  via      INTEGER NOT NULL,
  PRIMARY KEY (set_id, position)
) WITHOUT ROWID;
CREATE TEMP TABLE v4_user_keys AS
  SELECT u.id AS user_id,
    coalesce((SELECT group_concat(k, ',') FROM
               (SELECT 'r' || quote(role_id) || '@' || via AS k FROM user_roles
                 WHERE user_id = u.id ORDER BY position)), '')
    || '|' ||
    coalesce((SELECT group_concat(k, ',') FROM
               (SELECT 'a' || kind || quote(target) || '@' || via AS k FROM user_associations
                 WHERE user_id = u.id ORDER BY position)), '') AS key
  FROM users u;
INSERT INTO grant_sets (key) SELECT DISTINCT key FROM v4_user_keys ORDER BY key;
CREATE TEMP TABLE v4_set_owner AS
  SELECT s.id AS set_id, min(k.user_id) AS user_id
  FROM grant_sets s JOIN v4_user_keys k ON k.key = s.key GROUP BY s.id;
INSERT INTO grant_set_roles SELECT o.set_id, r.position, r.role_id, r.via
  FROM v4_set_owner o JOIN user_roles r ON r.user_id = o.user_id;
INSERT INTO grant_set_associations SELECT o.set_id, a.position, a.kind, a.target, a.via
  FROM v4_set_owner o JOIN user_associations a ON a.user_id = o.user_id;
CREATE TABLE users_v4 (
  id           TEXT PRIMARY KEY,
  username     TEXT    NOT NULL,
  display_name TEXT    NOT NULL,
  email        TEXT    NOT NULL,
  dn           TEXT    NOT NULL,
  source       TEXT    NOT NULL,
  enabled      INTEGER NOT NULL,
  grant_set    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO users_v4 SELECT u.id, u.username, u.display_name, u.email, u.dn, u.source,
    u.enabled, s.id
  FROM users u JOIN v4_user_keys k ON k.user_id = u.id JOIN grant_sets s ON s.key = k.key;
DROP TABLE v4_set_owner;
DROP TABLE v4_user_keys;
DROP TABLE user_roles;
DROP TABLE user_associations;
DROP TABLE users;
ALTER TABLE users_v4 RENAME TO users;
CREATE VIEW user_roles AS
  SELECT u.id AS user_id, r.position, r.role_id, r.via
  FROM users u JOIN grant_set_roles r ON r.set_id = u.grant_set;
CREATE VIEW user_associations AS
  SELECT u.id AS user_id, a.position, a.kind, a.target, a.via
  FROM users u JOIN grant_set_associations a ON a.set_id = u.grant_set;
)sql";

// Version 5: the history. Who applied each revision ('trustgated', or 'trustgatectl:<operator>'
// for `sync --once`), what it changed in counts (NULL for the revisions before this version,
// whose summary text says it), and, when few users changed, each of them with their lines
// (revision_changes, one row per user, and revision_change_lines, one per line in order).
// And how many entries the last successful pass read: the next pass's expected total, for its
// progress.
constexpr std::string_view kV5 = R"sql(
ALTER TABLE sync_status ADD COLUMN entries_read INTEGER;
ALTER TABLE revisions ADD COLUMN applied_by TEXT NOT NULL DEFAULT 'trustgated';
ALTER TABLE revisions ADD COLUMN users_added INTEGER;
ALTER TABLE revisions ADD COLUMN users_removed INTEGER;
ALTER TABLE revisions ADD COLUMN users_changed INTEGER;
ALTER TABLE revisions ADD COLUMN grants_added INTEGER;
ALTER TABLE revisions ADD COLUMN grants_removed INTEGER;
ALTER TABLE revisions ADD COLUMN user_changes_kept INTEGER NOT NULL DEFAULT 0;
CREATE TABLE revision_changes (
  revision       INTEGER NOT NULL,
  position       INTEGER NOT NULL,
  user_id        TEXT    NOT NULL,
  username       TEXT    NOT NULL,
  change         TEXT    NOT NULL,
  grants_added   INTEGER NOT NULL,
  grants_removed INTEGER NOT NULL,
  PRIMARY KEY (revision, position)
) WITHOUT ROWID;
CREATE TABLE revision_change_lines (
  revision INTEGER NOT NULL,
  position INTEGER NOT NULL,
  line     INTEGER NOT NULL,
  text     TEXT    NOT NULL,
  PRIMARY KEY (revision, position, line)
) WITHOUT ROWID;
)sql";

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "initial schema: revisions, access model, manual associations, source state", kV1},
      {2, "grants name a shared provenance row", kV2},
      {3, "grant tables without a foreign key to users", kV3},
      {4, "users name a shared set of grants", kV4},
      {5, "the history: who applied a revision, its counts and its users' changes", kV5},
  };
  return kMigrations;
}

Result<int> identify(SQLite::Database& db) {
  try {
    // The first read of a file that is not SQLite fails here with SQLITE_NOTADB.
    int objects = db.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
    int app_id = db.execAndGet("PRAGMA application_id").getInt();
    int version = user_version(db);
    if (app_id != kApplicationId) {
      if (app_id == 0 && version == 0 && objects == 0) return 0;  // empty: a new store
      return fail("store.foreign",
                  fmt::format("{} is a SQLite database but not a trustgate store "
                              "(application_id {:#x}, {} schema objects)",
                              db.getFilename(), static_cast<std::uint32_t>(app_id), objects));
    }
    if (version > kVersion) {
      return fail("store.too_new",
                  fmt::format("{} has schema version {}, newer than this trustgate supports "
                              "({}); upgrade trustgate or restore an older store",
                              db.getFilename(), version, kVersion));
    }
    return version;
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() == SQLITE_NOTADB || e.getErrorCode() == SQLITE_CORRUPT) {
      return fail("store.not_a_store",
                  fmt::format("{} is not a SQLite database (or is damaged): {}", db.getFilename(),
                              e.what()));
    }
    return fail("store.io", fmt::format("cannot read {}: {}", db.getFilename(), e.what()));
  } catch (const std::exception& e) {
    return fail("store.io", fmt::format("cannot read {}: {}", db.getFilename(), e.what()));
  }
}

Result<int> migrate(SQLite::Database& db) {
  auto found = identify(db);
  if (!found) return found;
  const auto& list = migrations();
  if (list.empty() || list.back().version != kVersion) {
    return fail("store.schema", "the migration list does not reach kVersion");
  }
  int version = *found;
  try {
    for (const Migration& m : list) {
      if (m.version <= version) continue;
      SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
      // Another process may have migrated while we waited for the write lock.
      int now = user_version(db);
      if (now >= m.version) {
        version = now;
        continue;
      }
      if (now != m.version - 1) {
        return fail("store.schema", fmt::format("cannot migrate {} from version {} to {}",
                                                db.getFilename(), now, m.version));
      }
      db.exec(std::string(m.sql));
      db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId));
      db.exec(fmt::format("PRAGMA user_version = {}", m.version));
      txn.commit();
      version = m.version;
    }
  } catch (const std::exception& e) {
    return fail("store.migration", fmt::format("migrating {} to version {} failed: {}",
                                               db.getFilename(), kVersion, e.what()));
  }
  if (version > kVersion) {
    return fail("store.too_new", fmt::format("{} was upgraded to schema version {} meanwhile",
                                             db.getFilename(), version));
  }
  return version;
}

}  // namespace trustgate::store_schema
