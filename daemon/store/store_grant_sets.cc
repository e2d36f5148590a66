#include "daemon/store/store_grant_sets.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "daemon/store/store_codec.h"
#include "daemon/store/store_provenance_ids.h"

namespace trustgate {
namespace {

// As SQLite's quote() spells a text value: in single quotes, each quote doubled.
void append_quoted(std::string& out, std::string_view text) {
  out += '\'';
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
}

std::size_t mix(std::size_t h, std::size_t v) { return (h ^ v) * 0x100000001b3ULL; }

// A hash of the grants' values but for the provenances, which count by identity.
std::size_t identity_hash(const User& user) {
  std::size_t h = mix(user.roles.size(), user.associations.size());
  for (const auto& g : user.roles) {
    h = mix(h, std::hash<std::string_view>{}(g.role));
    h = mix(h, reinterpret_cast<std::uintptr_t>(g.via.identity()));
  }
  for (const auto& a : user.associations) {
    h = mix(h, static_cast<std::size_t>(a.kind));
    h = mix(h, std::hash<std::string_view>{}(a.target));
    h = mix(h, reinterpret_cast<std::uintptr_t>(a.via.identity()));
  }
  return h;
}

void append_via(std::string& out, std::int64_t id) {
  out += '@';
  out += fmt::format_int(id).c_str();
}

}  // namespace

GrantSetIds::GrantSetIds(SQLite::Database& db, ProvenanceIds& provenances,
                         std::size_t collect_every)
    : db_(db), provenances_(provenances), collect_every_(collect_every == 0 ? 1 : collect_every) {}

GrantSetIds::~GrantSetIds() = default;

void GrantSetIds::append_key(std::string& key, const User& user,
                             const std::vector<std::int64_t>& via_ids) {
  std::size_t v = 0;
  for (std::size_t i = 0; i < user.roles.size(); ++i, ++v) {
    if (i > 0) key += ',';
    key += 'r';
    append_quoted(key, user.roles[i].role);
    append_via(key, via_ids[v]);
  }
  key += '|';
  for (std::size_t i = 0; i < user.associations.size(); ++i, ++v) {
    if (i > 0) key += ',';
    key += 'a';
    key += store_codec::encode(user.associations[i].kind);
    append_quoted(key, user.associations[i].target);
    append_via(key, via_ids[v]);
  }
}

void GrantSetIds::load() {
  ids_.clear();
  SQLite::Statement q(db_, "SELECT id, key FROM grant_sets");
  while (q.executeStep()) ids_.emplace(q.getColumn(1).getString(), q.getColumn(0).getInt64());
  loaded_ = true;
}

std::int64_t GrantSetIds::id_for(const User& user) {
  const std::size_t h = identity_hash(user);
  if (auto it = seen_.find(h); it != seen_.end() && it->second.roles == user.roles &&
                               it->second.associations == user.associations) {
    return it->second.id;
  }
  const std::int64_t id = id_by_key(user);
  seen_.insert_or_assign(h, Seen{user.roles, user.associations, id});
  return id;
}

std::int64_t GrantSetIds::id_by_key(const User& user) {
  via_ids_.clear();
  for (const auto& g : user.roles) via_ids_.push_back(provenances_.id_for(g.via));
  for (const auto& a : user.associations) via_ids_.push_back(provenances_.id_for(a.via));
  key_.clear();
  append_key(key_, user, via_ids_);
  if (!loaded_) load();
  if (auto it = ids_.find(key_); it != ids_.end()) return it->second;
  if (auto it = pending_.find(key_); it != pending_.end()) return it->second;
  const std::int64_t id = insert(user);
  pending_.emplace(key_, id);
  return id;
}

std::int64_t GrantSetIds::insert(const User& user) {
  if (!insert_set_) {
    insert_set_ =
        std::make_unique<SQLite::Statement>(db_, "INSERT INTO grant_sets (key) VALUES (?)");
    insert_role_ = std::make_unique<SQLite::Statement>(
        db_, "INSERT INTO grant_set_roles (set_id, position, role_id, via) VALUES (?, ?, ?, ?)");
    insert_association_ = std::make_unique<SQLite::Statement>(
        db_,
        "INSERT INTO grant_set_associations (set_id, position, kind, target, via) "
        "VALUES (?, ?, ?, ?, ?)");
  }
  // A statement left by a failed transaction may not be reset.
  for (auto* s : {insert_set_.get(), insert_role_.get(), insert_association_.get()}) s->reset();
  insert_set_->bindNoCopy(1, key_);
  insert_set_->exec();
  insert_set_->reset();
  const std::int64_t id = db_.getLastInsertRowid();
  std::size_t v = 0;
  for (std::size_t i = 0; i < user.roles.size(); ++i, ++v) {
    SQLite::Statement& s = *insert_role_;
    s.bind(1, id);
    s.bind(2, static_cast<std::int64_t>(i));
    s.bindNoCopy(3, user.roles[i].role);
    s.bind(4, via_ids_[v]);
    s.exec();
    s.reset();
  }
  for (std::size_t i = 0; i < user.associations.size(); ++i, ++v) {
    SQLite::Statement& s = *insert_association_;
    const Association& a = user.associations[i];
    s.bind(1, id);
    s.bind(2, static_cast<std::int64_t>(i));
    s.bind(3, std::string(store_codec::encode(a.kind)));
    s.bindNoCopy(4, a.target);
    s.bind(5, via_ids_[v]);
    s.exec();
    s.reset();
  }
  return id;
}

GrantGarbage GrantSetIds::collect_garbage() {
  GrantGarbage gone;
  if (++calls_ % collect_every_ == 0) {
    // The children go by ON DELETE CASCADE.
    gone.grant_sets = static_cast<std::size_t>(
        db_.exec("DELETE FROM grant_sets WHERE id NOT IN (SELECT grant_set FROM users)"));
    if (gone.grant_sets > 0) {
      loaded_ = false;  // reload rather than track which ids went
      ids_.clear();
      pending_.clear();
      seen_.clear();
    }
  }
  // On its own count of calls, the same as ours by default: after the sets, so that it sees
  // the provenances only dead sets named as unused.
  gone.provenances = provenances_.collect_garbage();
  return gone;
}

void GrantSetIds::committed() {
  if (loaded_) ids_.merge(pending_);
  pending_.clear();
  seen_.clear();
  provenances_.committed();
}

void GrantSetIds::rolled_back() {
  insert_set_.reset();
  insert_role_.reset();
  insert_association_.reset();
  loaded_ = false;
  ids_.clear();
  pending_.clear();
  seen_.clear();
  provenances_.rolled_back();
}

}  // namespace trustgate
