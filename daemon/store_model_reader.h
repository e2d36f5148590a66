#pragma once
// Reads the access model held in the store's model tables (schema: store_schema.cc).
#include <stdexcept>

#include "mapping/access_model.h"

namespace SQLite {
class Database;
}

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

}  // namespace trustgate
