#include "daemon/store/store_provenance_ids.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "daemon/store/store_codec.h"
#include "daemon/store/store_model_reader.h"

namespace trustgate {

ProvenanceIds::ProvenanceIds(SQLite::Database& db, std::size_t collect_every)
    : db_(db), collect_every_(collect_every == 0 ? 1 : collect_every) {}

ProvenanceIds::~ProvenanceIds() = default;

void ProvenanceIds::load() {
  ids_.clear();
  SQLite::Statement q(db_, kSelectProvenances);
  while (q.executeStep()) {
    // Undecodable rows are left out: a grant naming one fails in the reader, and a new row
    // for the same value cannot collide with them (its spelling differs).
    try {
      ids_.emplace(read_provenance_row(q), q.getColumn(0).getInt64());
    } catch (const StoreCorrupt&) {
    }
  }
  loaded_ = true;
}

std::int64_t ProvenanceIds::id_for(const SharedProvenance& p) {
  if (auto it = by_object_.find(p.identity()); it != by_object_.end()) return it->second;
  if (!loaded_) load();
  std::int64_t id = 0;
  if (auto it = ids_.find(*p); it != ids_.end()) {
    id = it->second;
  } else if (auto it = pending_.find(*p); it != pending_.end()) {
    id = it->second;
  } else {
    if (!insert_) {
      insert_ = std::make_unique<SQLite::Statement>(
          db_,
          "INSERT INTO provenances (kind, rule, group_dn, chain, source) VALUES (?, ?, ?, ?, ?)");
    }
    SQLite::Statement& ins = *insert_;
    ins.reset();  // a statement left by a failed transaction may not be
    ins.bind(1, std::string(store_codec::encode(p->kind)));
    ins.bindNoCopy(2, p->rule);
    ins.bindNoCopy(3, p->group);
    ins.bind(4, store_codec::encode_chain(p->chain));
    ins.bindNoCopy(5, p->source);
    ins.exec();
    ins.reset();
    id = db_.getLastInsertRowid();
    pending_.emplace(*p, id);
  }
  if (p.identity() != nullptr) by_object_.emplace(p.identity(), id);
  return id;
}

std::size_t ProvenanceIds::collect_garbage() {
  if (++calls_ % collect_every_ != 0) return 0;
  const int gone = db_.exec(
      "DELETE FROM provenances WHERE id NOT IN "
      "(SELECT via FROM grant_set_roles UNION SELECT via FROM grant_set_associations)");
  if (gone > 0) {
    loaded_ = false;  // reload rather than track which ids went
    ids_.clear();
    pending_.clear();
  }
  return static_cast<std::size_t>(gone);
}

void ProvenanceIds::committed() {
  if (loaded_) ids_.merge(pending_);
  pending_.clear();
  by_object_.clear();
}

void ProvenanceIds::rolled_back() {
  insert_.reset();
  loaded_ = false;
  ids_.clear();
  pending_.clear();
  by_object_.clear();
}

}  // namespace trustgate
