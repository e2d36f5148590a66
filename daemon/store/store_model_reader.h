#pragma once
// Reads the access model held in the store's model tables (schema: store_schema.cc).
#include <stdexcept>

#include "mapping/access_model.h"

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace trustgate {

// A row the store could not have written (unknown enum text, bad chain, orphan child).
class StoreCorrupt : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The whole model, vectors in their stored order. Throws SQLite::Exception on I/O errors and
// StoreCorrupt on damaged rows; the caller (Store) turns both into an Error. Call inside a
// transaction for a consistent snapshot.
AccessModel read_model(SQLite::Database& db);

// The provenances table's rows: a statement of this text yields the columns
// read_provenance_row() decodes.
inline constexpr const char* kSelectProvenances =
    "SELECT id, kind, rule, group_dn, chain, source FROM provenances";
// The provenance of the current row of a kSelectProvenances statement (its id is column 0).
// Throws StoreCorrupt naming the column ("provenances.chain: ...") of a value the store never
// writes.
Provenance read_provenance_row(const SQLite::Statement& q);

}  // namespace trustgate
