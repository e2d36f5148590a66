#pragma once
// The durable truth: a SQLite file holding the access model of the current revision, the
// revision history, manual associations and per-source resume state. Thread-safe: one
// connection behind a mutex.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "daemon/store/store_schema.h"
#include "mapping/access_model.h"
#include "mapping/manual_association.h"
#include "mapping/model_diff.h"

namespace SQLite {
class Database;
class Transaction;
}  // namespace SQLite

namespace trustgate {

class GrantSetIds;
class ProvenanceIds;
class ModelDeltaWriter;

// What a revision changed against the one before it (ModelDiff's counts).
struct RevisionCounts {
  std::size_t users_added = 0, users_removed = 0, users_changed = 0;
  std::size_t grants_added = 0, grants_removed = 0;
  bool operator==(const RevisionCounts&) const = default;
};

struct RevisionInfo {
  std::int64_t number = 0;
  std::int64_t applied_at = 0;  // unix seconds
  std::string sources;          // comma-separated source names that contributed
  std::size_t users = 0, institutions = 0, clusters = 0, grants = 0;
  std::string summary;                   // ModelDiff::summary() against the previous revision
  bool forced = false;                   // applied with an operator's override of the safety checks
  std::string applied_by;                // "trustgated", or "trustgatectl:<operator>"
  std::optional<RevisionCounts> counts;  // nullopt: a revision from before the history
  bool user_changes_kept = false;        // revision_changes() holds every changing user
};

struct StoredRevision {
  RevisionInfo info;
  AccessModel model;  // as applied: WITHOUT manual associations
};

struct ApplyOptions {
  std::string sources;
  std::string summary;
  bool forced = false;
  std::string applied_by = "trustgated";
  RevisionCounts counts;
  // Each changing user with their lines, for the history; kept when given (the caller gives
  // them when few users changed: see Store::kHistoryRevisions for how long).
  const std::vector<UserDiff>* user_changes = nullptr;
  // Per-source resume state written in the same transaction (source name -> state).
  std::vector<std::pair<std::string, std::string>> source_states;
};

class Store {
 public:
  // Opens or creates the file (and its folder), runs pending migrations. Fails with a clear Error
  // (never throws) when the file is unreadable, not a trustgate store, or from a newer version.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const Clock& clock);
  ~Store();

  static constexpr int kSchemaVersion = store_schema::kVersion;
  int schema_version() const;

  // Applies `model` as a new revision in ONE transaction: a reader (or a process killed
  // midway) sees the previous revision or the new one, never a mix.
  Result<RevisionInfo> apply(const AccessModel& model, const ApplyOptions& options);
  // As above, keeping `model` (not a copy) as the store's in-memory copy of the revision.
  Result<RevisionInfo> apply(std::shared_ptr<const AccessModel> model, const ApplyOptions& options);

  // A revision written while its model is still being made: a full sync writes the users it
  // has mapped while it maps the next ones. From begin_revision() until commit() or its
  // destruction it holds the store's lock and SQLite's write lock; destroyed without a
  // successful commit() it rolls back, and nothing of it was ever visible. One thread at a time.
  class Revision {
   public:
    ~Revision();
    Revision(const Revision&) = delete;
    Revision& operator=(const Revision&) = delete;

    // The model's next users, in increasing id order, each after every id given before. Only
    // their rows that differ from the current revision's are written. A failure is kept (the
    // rest is skipped) and returned by commit().
    void add_users(std::span<const UserMap::Ptr> users);
    // Writes the rest of `model`, as apply() does, and commits. `model->users` must be exactly
    // the users given to add_users(), in order: "store.invalid" otherwise, and nothing applied.
    Result<RevisionInfo> commit(std::shared_ptr<const AccessModel> model,
                                const ApplyOptions& options);

   private:
    friend class Store;
    explicit Revision(Store& store);
    void add(const UserMap::Ptr& user);
    void abandon();  // rolls back, forgets provenance ids of this transaction, unlocks

    Store& store_;
    std::unique_lock<std::mutex> lock_;  // first: released last
    std::unique_ptr<SQLite::Transaction> txn_;
    std::shared_ptr<const AccessModel> current_;  // the revision this one replaces
    std::int64_t current_number_ = 0;
    std::unique_ptr<ModelDeltaWriter> writer_;
    // Which users were given, in order: their count and a running hash of their addresses.
    std::size_t given_count_ = 0;
    std::uint64_t given_hash_ = 0;
    std::optional<Error> failed_;
    bool open_ = false;
    // Set by apply(): the model was checked and its users were given from it, so commit()
    // need not walk them again.
    bool given_from_model_ = false;
  };
  Result<std::unique_ptr<Revision>> begin_revision();

  // The current revision's model, shared with the store's in-memory copy (no copy made, no
  // read when the store applied or loaded that revision last); nullptr in an empty store.
  Result<std::shared_ptr<const AccessModel>> current_model();

  // The current revision, or nullopt in an empty store.
  Result<std::optional<StoredRevision>> load_current();
  Result<std::optional<RevisionInfo>> current_info();
  Result<std::vector<RevisionInfo>> revisions(std::size_t limit);
  // One revision, or nullopt when there is no such revision.
  Result<std::optional<RevisionInfo>> revision(std::int64_t number);
  // The users a revision changed, in user id order, with their lines, when it kept them
  // (RevisionInfo::user_changes_kept); empty otherwise.
  Result<std::vector<UserDiff>> revision_changes(std::int64_t number);
  // The users' changes are kept for this many of the newest revisions (older ones keep their
  // counts and summary): at most a few hundred KB each, since only revisions that change few
  // users keep them.
  static constexpr std::int64_t kHistoryRevisions = 10'000;

  Result<void> add_manual(const ManualAssociation& a);  // idempotent
  // true when a matching manual association existed and was removed.
  Result<bool> remove_manual(const std::string& user_id, AssociationKind kind,
                             const std::string& target);
  Result<std::vector<ManualAssociation>> manual_associations();

  Result<std::optional<std::string>> source_state(const std::string& source);
  // Writes per-source resume state on its own (not with a revision): any state a source
  // reports is consistent in itself, so it may be saved later than the revision it led to.
  Result<void> save_source_states(const std::vector<std::pair<std::string, std::string>>& states);

  // Last successful sync (even one that changed nothing): the API's data_as_of; and how many
  // entries it read, the next pass's expected total (last_entries_read).
  Result<void> record_sync_success(std::int64_t at, std::optional<std::size_t> entries_read = {});
  Result<std::optional<std::size_t>> last_entries_read();

  // Copies what the write-ahead log holds into the database file, as far as no reader needs
  // the log (SQLite's PASSIVE checkpoint). The store's own commits leave this to its caller
  // (see configure() in store.cc); the sync loop calls it after serving a new revision.
  Result<void> checkpoint();
  Result<std::optional<std::int64_t>> last_sync_success();

  // SQLite's PRAGMA data_version of the store's connection, which moves when another process
  // commits to the file (trustgatectl sync/associate). Never waits: nullopt while another thread
  // holds the store (a sync writing a revision, which may take as long as a full sync), so that
  // a caller on a clock (the daemon's tick: watchdog, STATUS) keeps its pace; ask again later.
  // A failed read is nullopt too.
  std::optional<std::int64_t> try_data_version();

  // For the store's own tests (reading or damaging rows directly): runs `fn` with the connection
  // under the store's lock. Nothing outside daemon/store may use it: a write to the model tables
  // would bypass the in-memory copy apply() keeps.
  template <typename Fn>
  auto with_db(Fn&& fn) {
    std::lock_guard lock(mutex_);
    return fn(*db_);
  }

 private:
  Store(std::unique_ptr<SQLite::Database> db, const Clock& clock);
  // With the lock held and inside apply()'s transaction: makes cache_ the model of the
  // current revision `current` (0 when none), reading it from the file when stale.
  void refresh_cache(std::int64_t current);

  std::mutex mutex_;
  std::unique_ptr<SQLite::Database> db_;        // GUARDED_BY(mutex_)
  std::unique_ptr<ProvenanceIds> provenances_;  // GUARDED_BY(mutex_)
  std::unique_ptr<GrantSetIds> grant_sets_;     // GUARDED_BY(mutex_); uses provenances_
  const Clock& clock_;
  // The model of revision cache_revision_ as last applied or loaded, so that apply() writes
  // only what differs. Empty until the first apply()/load_current(); dropped on any failure.
  std::shared_ptr<const AccessModel> cache_;  // GUARDED_BY(mutex_); immutable once set
  std::int64_t cache_revision_ = 0;           // GUARDED_BY(mutex_)
  int schema_version_ = 0;                    // as migrated by open(); immutable afterwards
};

}  // namespace trustgate
