#include "daemon/store_provenance_ids.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "daemon/store_codec.h"

namespace trustgate {

ProvenanceIds::ProvenanceIds(SQLite::Database& db, std::size_t collect_every)
    : db_(db), collect_every_(collect_every == 0 ? 1 : collect_every) {}

ProvenanceIds::~ProvenanceIds() = default;

void ProvenanceIds::load() {
  ids_.clear();
  SQLite::Statement q(db_, "SELECT id, kind, rule, group_dn, chain, source FROM provenances");
  while (q.executeStep()) {
    Provenance p;
    // Undecodable rows are left out: a grant naming one fails in the reader, and a new row
    // for the same value cannot collide with them (its spelling differs).
    auto kind = store_codec::decode_provenance_kind(q.getColumn(1).getString());
    auto chain = store_codec::decode_chain(q.getColumn(4).getString());
    if (!kind || !chain) continue;
    p.kind = *kind;
    p.rule = q.getColumn(2).getString();
    p.group = q.getColumn(3).getString();
    p.chain = std::move(*chain);
    p.source = q.getColumn(5).getString();
    ids_.emplace(std::move(p), q.getColumn(0).getInt64());
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
      "(SELECT via FROM user_roles UNION SELECT via FROM user_associations)");
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
