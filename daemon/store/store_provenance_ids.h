#pragma once
// The store's provenances table as the writer sees it: the id of each provenance row, by value.
// A grant row names its provenance by id (schema version 2; a grant set's row since version 4).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>

#include "mapping/access_model.h"

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace trustgate {

class ProvenanceIds {
 public:
  // `db` must outlive this. `collect_every`: collect_garbage() deletes unused rows on every Nth
  // call (1: every call).
  explicit ProvenanceIds(SQLite::Database& db, std::size_t collect_every = 64);
  ~ProvenanceIds();

  // The id of `p`'s row, inserting one when the table has none. Runs inside the caller's
  // transaction; throws SQLite::Exception on failure. Ids of rows inserted here are kept only
  // once committed() is called; rolled_back() forgets them.
  std::int64_t id_for(const SharedProvenance& p);

  // Deletes the rows no grant set names, on every collect_every-th call; returns how many went.
  // Inside the transaction that wrote the grant sets, after GrantSetIds collected its own.
  std::size_t collect_garbage();

  // The transaction that used this committed / rolled back. Either ends the pointer cache, so
  // call one of them after every transaction, while the model written is still alive.
  void committed();
  void rolled_back();

 private:
  void load();

  SQLite::Database& db_;
  std::unique_ptr<SQLite::Statement> insert_;  // prepared on first use
  std::size_t collect_every_;
  std::size_t calls_ = 0;
  bool loaded_ = false;
  std::map<Provenance, std::int64_t> ids_;      // committed rows
  std::map<Provenance, std::int64_t> pending_;  // rows inserted by the open transaction
  // Ids by provenance object, for the open transaction only: the model written keeps these
  // objects alive until then, so a pointer cannot be reused for another value meanwhile.
  std::unordered_map<const Provenance*, std::int64_t> by_object_;
};

}  // namespace trustgate
