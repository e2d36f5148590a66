#pragma once
// Writes the difference between two access models to the store's model tables.
#include <cstddef>
#include <memory>

#include "mapping/access_model.h"

namespace SQLite {
class Database;
}

namespace trustgate {

class GrantSetIds;

struct ModelWriteStats {
  std::size_t inserted = 0;               // entities (user, role, ...) written that were not there
  std::size_t replaced = 0;               // entities that differed: deleted and written again
  std::size_t deleted = 0;                // entities gone from the model
  std::size_t grant_sets_collected = 0;   // grant sets no user named any more
  std::size_t provenances_collected = 0;  // provenance rows no grant set named any more
};

// Brings the model tables from `current` (exactly what they hold now) to a target model,
// touching only the rows of entities that differ; an entity's child rows (role permissions,
// cluster institutions, a user's grants) go with it. The target's users come first, in
// increasing id order and in as many calls as the caller likes (a full sync writes them while
// it still maps the next ones), then finish() writes the other tables. Users shared by both
// models (the same pointer) are not compared. A user row names its set of grants through
// `grant_sets` (which may collect unused sets and provenances). Runs inside the caller's
// transaction; throws SQLite::Exception on failure (the caller rolls back and tells `grant_sets`),
// and std::logic_error for users out of order.
class ModelDeltaWriter {
 public:
  ModelDeltaWriter(SQLite::Database& db, GrantSetIds& grant_sets, const AccessModel& current);
  ~ModelDeltaWriter();
  ModelDeltaWriter(const ModelDeltaWriter&) = delete;
  ModelDeltaWriter& operator=(const ModelDeltaWriter&) = delete;

  // The target's next user: its id comes after every id given before. Current users whose ids
  // come between the two are not in the target: their rows are deleted.
  void user(const UserMap::Ptr& user);
  // After the last user(): deletes the current users after the last id given, writes the
  // difference of the other tables and collects unused grant sets and provenance rows.
  ModelWriteStats finish(const AccessModel& target);

 private:
  class Statements;
  std::unique_ptr<Statements> statements_;
  GrantSetIds& grant_sets_;
  const AccessModel& current_;
  UserMap::Entries::const_iterator next_current_;  // the first current user not yet walked past
  UserMap::Ptr last_;                              // the last user given
  ModelWriteStats stats_;
};

}  // namespace trustgate
