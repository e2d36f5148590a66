#include "daemon/store/store.h"

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <map>
#include <stdexcept>

#include "common/private_files.h"
#include "daemon/store/store_codec.h"
#include "daemon/store/store_grant_sets.h"
#include "daemon/store/store_model_reader.h"
#include "daemon/store/store_model_writer.h"
#include "daemon/store/store_provenance_ids.h"
#include "daemon/store/store_schema.h"

namespace trustgate {
namespace {

// How long a statement waits for another connection's lock before failing with store.busy.
constexpr int kBusyTimeoutMs = 5000;

// Every library exception is turned into an Error at this edge.
Error to_error(std::string_view operation, const std::exception& e) {
  std::string code = "store.io";
  if (const auto* s = dynamic_cast<const SQLite::Exception*>(&e)) {
    switch (s->getErrorCode()) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        code = "store.busy";
        break;
      case SQLITE_FULL:
        code = "store.full";
        break;
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        code = "store.corrupt";
        break;
      default:
        break;
    }
  } else if (dynamic_cast<const StoreCorrupt*>(&e) != nullptr) {
    code = "store.corrupt";
  }
  return Error{code, fmt::format("store: {} failed: {}", operation, e.what())};
}

// Connection settings, applied on every open.
// - WAL: readers never block the writer and a crash leaves the last committed revision.
// - synchronous=FULL: in WAL mode NORMAL is also crash-safe for the process, but may lose the
//   last commits on power loss. Applies are rare (one per directory change) and a revision, once
//   served, must survive; one fsync per commit is a price worth paying. (Tickets and the audit
//   trail are in a file of their own: daemon/handoff.)
// - foreign_keys: child rows cascade from their owner (store_schema.cc).
Result<void> configure(SQLite::Database& db) {
  std::string mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
  if (mode != "wal") {
    return fail("store.io",
                fmt::format("{}: cannot use WAL journal mode (got '{}')", db.getFilename(), mode));
  }
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  // 512 KiB of page cache, not SQLite's 2 MiB: applies write in key order and reads scan, so a
  // bigger cache saves nothing, and a full sync holds it while its directory entries and its
  // model are both in memory (its peak).
  db.exec("PRAGMA cache_size = -512");
  // No checkpoint inside an apply's commit: the sync loop calls checkpoint() once the new
  // revision is served, so copying a large apply's pages into the database file (50 ms for a
  // first sync of 100k users) is not part of the time until it is served. Other processes'
  // connections to the file (trustgatectl) keep SQLite's automatic checkpoints.
  db.exec("PRAGMA wal_autocheckpoint = 0");
  return {};
}

// Every map key must be its entity's id: the store keeps one id per row.
template <typename Map>
Result<void> check_keys(const Map& map, std::string_view what) {
  for (const auto& [key, value] : map) {
    if (key != value.id) {
      return fail(
          "store.invalid",
          fmt::format("{} keyed '{}' has id '{}': the model is inconsistent", what, key, value.id));
    }
  }
  return {};
}

Result<void> check_model(const AccessModel& m) {
  for (auto r : {check_keys(m.permissions, "permission"), check_keys(m.roles, "role"),
                 check_keys(m.institutions, "institution"), check_keys(m.clusters, "cluster"),
                 check_keys(m.users, "user")}) {
    if (!r) return r;
  }
  return {};
}

void write_source_states(SQLite::Database& db,
                         const std::vector<std::pair<std::string, std::string>>& states) {
  SQLite::Statement state(db,
                          "INSERT INTO source_state (source, state) VALUES (?, ?) "
                          "ON CONFLICT (source) DO UPDATE SET state = excluded.state");
  for (const auto& [source, value] : states) {
    state.bindNoCopy(1, source);
    state.bindNoCopy(2, value);
    state.exec();
    state.reset();
  }
}

constexpr const char* kRevisionColumns =
    "number, applied_at, sources, users, institutions, clusters, grants, summary, forced, "
    "applied_by, users_added, users_removed, users_changed, grants_added, grants_removed, "
    "user_changes_kept";

RevisionInfo read_revision(const SQLite::Statement& q) {
  RevisionInfo r;
  r.number = q.getColumn(0).getInt64();
  r.applied_at = q.getColumn(1).getInt64();
  r.sources = q.getColumn(2).getString();
  r.users = static_cast<std::size_t>(q.getColumn(3).getInt64());
  r.institutions = static_cast<std::size_t>(q.getColumn(4).getInt64());
  r.clusters = static_cast<std::size_t>(q.getColumn(5).getInt64());
  r.grants = static_cast<std::size_t>(q.getColumn(6).getInt64());
  r.summary = q.getColumn(7).getString();
  r.forced = q.getColumn(8).getInt() != 0;
  r.applied_by = q.getColumn(9).getString();
  if (!q.getColumn(10).isNull()) {
    auto count = [&](int column) {
      return static_cast<std::size_t>(q.getColumn(column).getInt64());
    };
    r.counts = RevisionCounts{count(10), count(11), count(12), count(13), count(14)};
  }
  r.user_changes_kept = q.getColumn(15).getInt() != 0;
  return r;
}

// The history's rows of revision `number`: each changing user and their lines, in order; and
// the users' changes of revisions older than the newest kHistoryRevisions dropped.
void write_user_changes(SQLite::Database& db, std::int64_t number,
                        const std::vector<UserDiff>& users, std::int64_t keep_revisions) {
  SQLite::Statement user(db,
                         "INSERT INTO revision_changes (revision, position, user_id, username, "
                         "change, grants_added, grants_removed) VALUES (?, ?, ?, ?, ?, ?, ?)");
  SQLite::Statement line(
      db, "INSERT INTO revision_change_lines (revision, position, line, text) VALUES (?, ?, ?, ?)");
  for (std::size_t i = 0; i < users.size(); ++i) {
    const UserDiff& u = users[i];
    user.bind(1, number);
    user.bind(2, static_cast<std::int64_t>(i));
    user.bindNoCopy(3, u.user_id);
    user.bindNoCopy(4, u.username);
    user.bind(5, std::string(to_string(u.change)));
    user.bind(6, static_cast<std::int64_t>(u.grants_added));
    user.bind(7, static_cast<std::int64_t>(u.grants_removed));
    user.exec();
    user.reset();
    std::int64_t n = 0;
    for (const auto* lines : {&u.granted, &u.revoked, &u.updated}) {
      for (const std::string& text : *lines) {
        line.bind(1, number);
        line.bind(2, static_cast<std::int64_t>(i));
        line.bind(3, n++);
        line.bindNoCopy(4, text);
        line.exec();
        line.reset();
      }
    }
  }
  const std::int64_t oldest_kept = number - keep_revisions + 1;
  for (const char* table : {"revision_changes", "revision_change_lines"}) {
    SQLite::Statement drop(db, fmt::format("DELETE FROM {} WHERE revision < ?", table));
    drop.bind(1, oldest_kept);
    drop.exec();
  }
}

std::optional<RevisionInfo> read_current_info(SQLite::Database& db) {
  SQLite::Statement q(
      db, fmt::format("SELECT {} FROM revisions ORDER BY number DESC LIMIT 1", kRevisionColumns));
  if (!q.executeStep()) return std::nullopt;
  return read_revision(q);
}

// Role grants + associations over all users: AccessModel::grant_count()'s definition.
std::size_t count_grants(const AccessModel& m) {
  std::size_t n = 0;
  for (const auto& [id, user] : m.users) n += user.roles.size() + user.associations.size();
  return n;
}

}  // namespace

Store::Store(std::unique_ptr<SQLite::Database> db, const Clock& clock)
    : db_(std::move(db)),
      provenances_(std::make_unique<ProvenanceIds>(*db_)),
      grant_sets_(std::make_unique<GrantSetIds>(*db_, *provenances_)),
      clock_(clock) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const Clock& clock) {
  std::unique_ptr<SQLite::Database> db;
  // A first `trustgatectl sync --once` (or the daemon) may come before anything made the
  // state folder.
  // Folders it creates are 0700 and the file 0600, whatever the umask (private_files.h).
  if (const auto parent = std::filesystem::path(path).parent_path(); !parent.empty()) {
    if (auto made = make_private_directories(parent); !made) {
      return fail("store.open", made.error().message);
    }
  }
  if (auto made = make_private_database_file(path); !made)
    return fail("store.open", made.error().message);
  try {
    // NOMUTEX: the connection is only used under mutex_, so SQLite's own lock around every
    // call (several per row written) is redundant.
    db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, kBusyTimeoutMs);
  } catch (const std::exception& e) {
    return fail("store.open", fmt::format("cannot open store {}: {}", path, e.what()));
  }
  // Identify before changing anything, so a foreign file is left untouched.
  if (auto found = store_schema::identify(*db); !found) return std::unexpected(found.error());
  try {
    if (auto configured = configure(*db); !configured) {
      return std::unexpected(configured.error());
    }
  } catch (const std::exception& e) {
    return std::unexpected(to_error(fmt::format("configuring {}", path), e));
  }
  auto version = store_schema::migrate(*db);
  if (!version) return std::unexpected(version.error());
  std::unique_ptr<Store> store(new Store(std::move(db), clock));
  store->schema_version_ = *version;
  return store;
}

int Store::schema_version() const { return schema_version_; }

void Store::refresh_cache(std::int64_t current) {
  if (cache_ && cache_revision_ == current) return;
  cache_.reset();  // a throw below leaves no half-read cache
  cache_ = std::make_shared<const AccessModel>(read_model(*db_));
  cache_revision_ = current;
}

Result<RevisionInfo> Store::apply(const AccessModel& model, const ApplyOptions& options) {
  return apply(std::make_shared<const AccessModel>(model), options);
}

namespace {

// A running hash of the users given to a revision, in order (FNV-1a over their addresses):
// commit() checks the model's users against it without keeping a list of 100k pointers.
std::uint64_t hash_next(std::uint64_t hash, const User* user) {
  auto bits = reinterpret_cast<std::uintptr_t>(user);
  for (std::size_t i = 0; i < sizeof bits; ++i, bits >>= 8) {
    hash = (hash ^ (bits & 0xff)) * 0x100000001b3ULL;
  }
  return hash;
}

constexpr std::uint64_t kHashStart = 0xcbf29ce484222325ULL;

// Whether `users` are the `count` users whose running hash is `hash`, in order.
bool same_users(const UserMap& users, std::size_t count, std::uint64_t hash) {
  if (users.size() != count) return false;
  std::uint64_t h = kHashStart;
  for (const auto& [id, user] : users.entries()) h = hash_next(h, user.get());
  return h == hash;
}

}  // namespace

Result<RevisionInfo> Store::apply(std::shared_ptr<const AccessModel> shared,
                                  const ApplyOptions& options) {
  // Checked first too: a key that is not its user's id would break the id order below.
  if (auto valid = check_model(*shared); !valid) return std::unexpected(valid.error());
  auto revision = begin_revision();
  if (!revision) return std::unexpected(revision.error());
  for (const auto& [id, user] : shared->users.entries()) (*revision)->add(user);
  (*revision)->given_from_model_ = true;
  return (*revision)->commit(std::move(shared), options);
}

Result<std::unique_ptr<Store::Revision>> Store::begin_revision() {
  std::unique_ptr<Revision> r(new Revision(*this));  // takes the lock
  try {
    // IMMEDIATE: take the write lock first, so the revision number read below stays ours.
    r->txn_ = std::make_unique<SQLite::Transaction>(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    r->current_number_ =
        db_->execAndGet("SELECT coalesce(max(number), 0) FROM revisions").getInt64();
    refresh_cache(r->current_number_);
    r->current_ = cache_;
    r->writer_ = std::make_unique<ModelDeltaWriter>(*db_, *grant_sets_, *r->current_);
    r->open_ = true;
    return r;
  } catch (const std::exception& e) {
    return std::unexpected(to_error("apply", e));  // r's transaction rolls back
  }
}

Store::Revision::Revision(Store& store)
    : store_(store), lock_(store.mutex_), given_hash_(kHashStart) {}

Store::Revision::~Revision() {
  if (open_) abandon();
}

void Store::Revision::abandon() {
  writer_.reset();
  txn_.reset();  // rolls back
  store_.grant_sets_->rolled_back();
  open_ = false;
  lock_.unlock();
}

void Store::Revision::add(const UserMap::Ptr& user) {
  if (!open_ || failed_) return;
  try {
    writer_->user(user);
    ++given_count_;
    given_hash_ = hash_next(given_hash_, user.get());
  } catch (const std::logic_error& e) {
    failed_ = Error{"store.invalid", e.what()};  // users out of order
  } catch (const std::exception& e) {
    failed_ = to_error("apply", e);
  }
}

void Store::Revision::add_users(std::span<const UserMap::Ptr> users) {
  for (const auto& user : users) add(user);
}

Result<RevisionInfo> Store::Revision::commit(std::shared_ptr<const AccessModel> shared,
                                             const ApplyOptions& options) {
  if (!open_) return fail("store.invalid", "this revision was already committed or abandoned");
  const AccessModel& model = *shared;
  Result<void> valid;
  if (failed_) {
    valid = std::unexpected(*failed_);
  } else if (given_from_model_) {
    // apply(): checked before, and the users given are the model's own.
  } else if (valid = check_model(model);
             valid && !same_users(model.users, given_count_, given_hash_)) {
    valid = fail("store.invalid", "the model's users are not the users written for it");
  }
  if (!valid) {
    abandon();
    return std::unexpected(valid.error());
  }
  try {
    SQLite::Database& db = *store_.db_;
    RevisionInfo info;
    info.number = current_number_ + 1;
    info.applied_at = unix_seconds(store_.clock_.now());
    info.sources = options.sources;
    info.users = model.users.size();
    info.institutions = model.institutions.size();
    info.clusters = model.clusters.size();
    info.grants = count_grants(model);
    info.summary = options.summary;
    info.forced = options.forced;
    info.applied_by = options.applied_by;
    info.counts = options.counts;
    info.user_changes_kept = options.user_changes != nullptr;

    SQLite::Statement ins(db, fmt::format("INSERT INTO revisions ({}) VALUES "
                                          "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                          kRevisionColumns));
    ins.bind(1, info.number);
    ins.bind(2, info.applied_at);
    ins.bind(3, info.sources);
    ins.bind(4, static_cast<std::int64_t>(info.users));
    ins.bind(5, static_cast<std::int64_t>(info.institutions));
    ins.bind(6, static_cast<std::int64_t>(info.clusters));
    ins.bind(7, static_cast<std::int64_t>(info.grants));
    ins.bind(8, info.summary);
    ins.bind(9, info.forced ? 1 : 0);
    ins.bind(10, info.applied_by);
    ins.bind(11, static_cast<std::int64_t>(info.counts->users_added));
    ins.bind(12, static_cast<std::int64_t>(info.counts->users_removed));
    ins.bind(13, static_cast<std::int64_t>(info.counts->users_changed));
    ins.bind(14, static_cast<std::int64_t>(info.counts->grants_added));
    ins.bind(15, static_cast<std::int64_t>(info.counts->grants_removed));
    ins.bind(16, info.user_changes_kept ? 1 : 0);
    ins.exec();
    if (options.user_changes != nullptr) {
      write_user_changes(db, info.number, *options.user_changes, kHistoryRevisions);
    }

    writer_->finish(model);
    write_source_states(db, options.source_states);

    txn_->commit();
    store_.grant_sets_->committed();
    store_.cache_ = std::move(shared);  // the file now holds exactly this model
    store_.cache_revision_ = info.number;
    writer_.reset();
    txn_.reset();
    open_ = false;
    lock_.unlock();
    return info;
  } catch (const std::exception& e) {
    abandon();  // the cache still is the current revision's
    return std::unexpected(to_error("apply", e));
  }
}

Result<void> Store::save_source_states(
    const std::vector<std::pair<std::string, std::string>>& states) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    write_source_states(*db_, states);
    txn.commit();
    return {};
  } catch (const std::exception& e) {
    return std::unexpected(to_error("saving source state", e));
  }
}

Result<std::shared_ptr<const AccessModel>> Store::current_model() {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Transaction txn(*db_);
    auto info = read_current_info(*db_);
    if (!info) return std::shared_ptr<const AccessModel>();
    refresh_cache(info->number);
    txn.commit();
    return cache_;
  } catch (const std::exception& e) {
    cache_.reset();
    return std::unexpected(to_error("loading the current revision", e));
  }
}

Result<std::optional<StoredRevision>> Store::load_current() {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Transaction txn(*db_);  // one read snapshot for the info and the model
    auto info = read_current_info(*db_);
    if (!info) return std::optional<StoredRevision>();
    // Revision numbers are never reused, so a cache of the same number is that revision's
    // model (copying it shares its users).
    if (cache_ && cache_revision_ == info->number) {
      txn.commit();
      return std::optional<StoredRevision>(StoredRevision{*info, *cache_});
    }
    cache_ = std::make_shared<const AccessModel>(read_model(*db_));
    cache_revision_ = info->number;
    txn.commit();
    StoredRevision stored{*info, *cache_};
    return std::optional<StoredRevision>(std::move(stored));
  } catch (const std::exception& e) {
    cache_.reset();
    return std::unexpected(to_error("loading the current revision", e));
  }
}

Result<std::optional<RevisionInfo>> Store::current_info() {
  std::lock_guard lock(mutex_);
  try {
    return read_current_info(*db_);
  } catch (const std::exception& e) {
    return std::unexpected(to_error("reading the current revision", e));
  }
}

Result<std::vector<RevisionInfo>> Store::revisions(std::size_t limit) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_, fmt::format("SELECT {} FROM revisions ORDER BY number DESC LIMIT ?",
                                          kRevisionColumns));
    q.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    std::vector<RevisionInfo> out;
    while (q.executeStep()) out.push_back(read_revision(q));
    return out;
  } catch (const std::exception& e) {
    return std::unexpected(to_error("listing revisions", e));
  }
}

Result<std::optional<RevisionInfo>> Store::revision(std::int64_t number) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_,
                        fmt::format("SELECT {} FROM revisions WHERE number = ?", kRevisionColumns));
    q.bind(1, number);
    if (!q.executeStep()) return std::optional<RevisionInfo>();
    return std::optional<RevisionInfo>(read_revision(q));
  } catch (const std::exception& e) {
    return std::unexpected(to_error("reading a revision", e));
  }
}

Result<std::vector<UserDiff>> Store::revision_changes(std::int64_t number) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Transaction txn(*db_);  // one read snapshot for both tables
    std::vector<UserDiff> out;
    SQLite::Statement users(*db_,
                            "SELECT user_id, username, change, grants_added, grants_removed "
                            "FROM revision_changes WHERE revision = ? ORDER BY position");
    users.bind(1, number);
    while (users.executeStep()) {
      UserDiff u;
      u.user_id = users.getColumn(0).getString();
      u.username = users.getColumn(1).getString();
      const std::string change = users.getColumn(2).getString();
      u.change = change == "added"     ? UserDiff::Change::Added
                 : change == "removed" ? UserDiff::Change::Removed
                                       : UserDiff::Change::Changed;
      u.grants_added = static_cast<std::size_t>(users.getColumn(3).getInt64());
      u.grants_removed = static_cast<std::size_t>(users.getColumn(4).getInt64());
      out.push_back(std::move(u));
    }
    SQLite::Statement lines(*db_,
                            "SELECT position, text FROM revision_change_lines WHERE revision = ? "
                            "ORDER BY position, line");
    lines.bind(1, number);
    while (lines.executeStep()) {
      const auto position = static_cast<std::size_t>(lines.getColumn(0).getInt64());
      if (position >= out.size()) throw std::runtime_error("a change line names no user");
      std::string text = lines.getColumn(1).getString();
      auto& to = text.starts_with('+')   ? out[position].granted
                 : text.starts_with('-') ? out[position].revoked
                                         : out[position].updated;
      to.push_back(std::move(text));
    }
    txn.commit();
    return out;
  } catch (const std::exception& e) {
    return std::unexpected(to_error("reading a revision's changes", e));
  }
}

Result<void> Store::add_manual(const ManualAssociation& a) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_,
                        "INSERT INTO manual_associations "
                        "(user_id, kind, target, created_by, created_at) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (user_id, kind, target) DO NOTHING");
    q.bind(1, a.user_id);
    q.bind(2, std::string(store_codec::encode(a.kind)));
    q.bind(3, a.target);
    q.bind(4, a.created_by);
    q.bind(5, a.created_at);
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return std::unexpected(to_error("adding a manual association", e));
  }
}

Result<bool> Store::remove_manual(const std::string& user_id, AssociationKind kind,
                                  const std::string& target) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_,
                        "DELETE FROM manual_associations "
                        "WHERE user_id = ? AND kind = ? AND target = ?");
    q.bind(1, user_id);
    q.bind(2, std::string(store_codec::encode(kind)));
    q.bind(3, target);
    return q.exec() > 0;
  } catch (const std::exception& e) {
    return std::unexpected(to_error("removing a manual association", e));
  }
}

Result<std::vector<ManualAssociation>> Store::manual_associations() {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_,
                        "SELECT user_id, kind, target, created_by, created_at "
                        "FROM manual_associations ORDER BY user_id, kind, target");
    std::vector<ManualAssociation> out;
    while (q.executeStep()) {
      ManualAssociation a;
      a.user_id = q.getColumn(0).getString();
      std::string kind = q.getColumn(1).getString();
      auto decoded = store_codec::decode_association_kind(kind);
      if (!decoded) {
        return fail("store.corrupt",
                    fmt::format("manual_associations.kind: unreadable value '{}'", kind));
      }
      a.kind = *decoded;
      a.target = q.getColumn(2).getString();
      a.created_by = q.getColumn(3).getString();
      a.created_at = q.getColumn(4).getInt64();
      out.push_back(std::move(a));
    }
    return out;
  } catch (const std::exception& e) {
    return std::unexpected(to_error("listing manual associations", e));
  }
}

Result<std::optional<std::string>> Store::source_state(const std::string& source) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_, "SELECT state FROM source_state WHERE source = ?");
    q.bind(1, source);
    if (!q.executeStep()) return std::optional<std::string>();
    return std::optional<std::string>(q.getColumn(0).getString());
  } catch (const std::exception& e) {
    return std::unexpected(to_error("reading source state", e));
  }
}

std::optional<std::int64_t> Store::try_data_version() {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  try {
    return db_->execAndGet("PRAGMA data_version").getInt64();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<void> Store::checkpoint() {
  std::lock_guard lock(mutex_);
  try {
    db_->exec("PRAGMA wal_checkpoint(PASSIVE)");
    return {};
  } catch (const std::exception& e) {
    return std::unexpected(to_error("checkpoint", e));
  }
}

Result<void> Store::record_sync_success(std::int64_t at, std::optional<std::size_t> entries_read) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_,
                        "INSERT INTO sync_status (id, last_success, entries_read) VALUES (1, ?, ?) "
                        "ON CONFLICT (id) DO UPDATE SET last_success = excluded.last_success, "
                        "entries_read = coalesce(excluded.entries_read, entries_read)");
    q.bind(1, at);
    if (entries_read) {
      q.bind(2, static_cast<std::int64_t>(*entries_read));
    } else {
      q.bind(2);
    }
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return std::unexpected(to_error("recording a sync success", e));
  }
}

Result<std::optional<std::size_t>> Store::last_entries_read() {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_, "SELECT entries_read FROM sync_status WHERE id = 1");
    if (!q.executeStep() || q.getColumn(0).isNull()) return std::optional<std::size_t>();
    return std::optional<std::size_t>(static_cast<std::size_t>(q.getColumn(0).getInt64()));
  } catch (const std::exception& e) {
    return std::unexpected(to_error("reading the last pass's entry count", e));
  }
}

Result<std::optional<std::int64_t>> Store::last_sync_success() {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_, "SELECT last_success FROM sync_status WHERE id = 1");
    if (!q.executeStep()) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(q.getColumn(0).getInt64());
  } catch (const std::exception& e) {
    return std::unexpected(to_error("reading the last sync success", e));
  }
}

}  // namespace trustgate
