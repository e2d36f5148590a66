#pragma once
// The store's grant sets as the writer sees them (schema version 4). A user's row names the set
// of grants it holds (its roles, then its associations, each in order, each naming a provenance
// row); users holding the same grants share one set. Most users of a directory hold what their
// groups give them, so a full sync of 100k users writes a few thousand sets' rows instead of
// two grant rows per user.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mapping/user.h"

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace trustgate {

class ProvenanceIds;

struct GrantGarbage {
  std::size_t grant_sets = 0;   // sets no user named
  std::size_t provenances = 0;  // provenance rows no set named
};

class GrantSetIds {
 public:
  // `db` and `provenances` must outlive this. `collect_every`: collect_garbage() deletes unused
  // rows on every Nth call (1: every call).
  GrantSetIds(SQLite::Database& db, ProvenanceIds& provenances, std::size_t collect_every = 64);
  ~GrantSetIds();
  GrantSetIds(const GrantSetIds&) = delete;
  GrantSetIds& operator=(const GrantSetIds&) = delete;

  // The id of the set holding exactly `user`'s grants, inserting the set when the table has
  // none. Runs inside the caller's transaction; throws SQLite::Exception on failure. Ids of sets
  // inserted here are kept only once committed() is called; rolled_back() forgets them.
  std::int64_t id_for(const User& user);

  // Deletes the sets no user names on every collect_every-th call, then calls
  // ProvenanceIds::collect_garbage(). Inside the transaction that wrote the users, after them.
  GrantGarbage collect_garbage();

  // The transaction that used this committed / rolled back; calls the same of `provenances`.
  void committed();
  void rolled_back();

  // The key a set is found by: its grants spelled in order, roles, "|", associations, each
  // grant with its provenance id. The v4 migration spells it the same way in SQL.
  static void append_key(std::string& key, const User& user,
                         const std::vector<std::int64_t>& via_ids);

 private:
  void load();
  std::int64_t insert(const User& user);
  // The slow path of id_for(): spells the key.
  std::int64_t id_by_key(const User& user);

  // Sets found in this transaction, by a hash of their grants' identities: the mapper gives
  // the users of one rule and group the same provenance object, so most users are found here
  // by a hash and a check by value, without spelling a key. Holds copies of the grants (their
  // provenance objects stay alive, so an identity is not reused meanwhile).
  struct Seen {
    std::vector<RoleGrant> roles;
    std::vector<Association> associations;
    std::int64_t id = 0;
  };
  std::unordered_map<std::size_t, Seen> seen_;

  SQLite::Database& db_;
  ProvenanceIds& provenances_;
  std::unique_ptr<SQLite::Statement> insert_set_, insert_role_, insert_association_;
  std::size_t collect_every_;
  std::size_t calls_ = 0;
  bool loaded_ = false;
  std::unordered_map<std::string, std::int64_t> ids_;      // committed sets
  std::unordered_map<std::string, std::int64_t> pending_;  // sets inserted by the open txn
  std::string key_;                                        // reused: one key per user
  std::vector<std::int64_t> via_ids_;                      // reused: the grants' provenance ids
};

}  // namespace trustgate
