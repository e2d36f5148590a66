#pragma once
// Writes the difference between two access models to the store's model tables.
#include <cstddef>

#include "mapping/access_model.h"

namespace SQLite {
class Database;
}

namespace trustgate {

class ProvenanceIds;

struct ModelWriteStats {
  std::size_t inserted = 0;               // entities (user, role, ...) written that were not there
  std::size_t replaced = 0;               // entities that differed: deleted and written again
  std::size_t deleted = 0;                // entities gone from the model
  std::size_t provenances_collected = 0;  // provenance rows no grant named any more
};

// Brings the model tables from `current` (exactly what they hold now) to `target`, touching
// only the rows of entities that differ; an entity's child rows (role permissions, cluster
// institutions, a user's grants) go with it. Each map key must equal its entity's id. Users
// shared by both models (the same pointer) are not compared. Grant rows name their provenance
// through `provenances` (which may collect unused rows). Runs inside the caller's transaction;
// throws SQLite::Exception on failure (the caller rolls back and tells `provenances`).
ModelWriteStats write_model_delta(SQLite::Database& db, ProvenanceIds& provenances,
                                  const AccessModel& current, const AccessModel& target);

}  // namespace trustgate
