#pragma once
// The store's file format: its identity (PRAGMA application_id), its version (PRAGMA
// user_version) and the ordered list of migrations that build it from an empty file.
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace SQLite {
class Database;
}

namespace trustgate::store_schema {

// "TGST": marks a SQLite file as a trustgate store.
inline constexpr std::int32_t kApplicationId = 0x54475354;

// The version this build writes and reads: the last migration's.
inline constexpr int kVersion = 5;

struct Migration {
  int version;               // the schema version after this migration
  std::string_view summary;  // for humans
  std::string_view sql;      // run in one transaction with the version bump
};

// Ascending and gap-free: migrations()[i].version == i + 1. The last is kVersion.
const std::vector<Migration>& migrations();

// What the file is: 0 for an empty file (a store yet to be created), else the trustgate schema
// version it holds. Errors (never throws): "store.not_a_store" (not a SQLite database),
// "store.foreign" (a SQLite database of something else), "store.too_new" (written by a newer
// trustgate), "store.io".
Result<int> identify(SQLite::Database& db);

// Identifies the file, then runs the pending migrations, each in its own IMMEDIATE
// transaction together with its version bump (safe against a concurrent opener and against
// a crash midway). Returns the version now in effect (kVersion).
Result<int> migrate(SQLite::Database& db);

}  // namespace trustgate::store_schema
