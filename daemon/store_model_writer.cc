#include "daemon/store_model_writer.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <stdexcept>

#include "daemon/store_batched_insert.h"
#include "daemon/store_codec.h"
#include "daemon/store_model_compare.h"
#include "daemon/store_provenance_ids.h"

namespace trustgate {
namespace {

// Runs a prepared statement whose parameters are bound, leaving it ready for the next row.
// Model strings are bound with bindNoCopy: they outlive the exec() below.
void run(SQLite::Statement& s) {
  s.exec();
  s.reset();
}

void bind_text(SQLite::Statement& s, int index, std::string_view text) {
  s.bind(index, std::string(text));  // short enum spellings: copied
}

// Walks two id-sorted maps together; calls del(id) for ids only in `current`, ins(value) for
// ids only in `target`, and del + ins for ids whose values differ under same().
template <typename T, typename Same, typename Del, typename Ins>
void walk_delta(const std::map<std::string, T>& current, const std::map<std::string, T>& target,
                Same same, Del del, Ins ins, ModelWriteStats& stats) {
  auto c = current.begin();
  auto t = target.begin();
  while (c != current.end() || t != target.end()) {
    if (t == target.end() || (c != current.end() && c->first < t->first)) {
      del(c->first);
      ++c;
      ++stats.deleted;
    } else if (c == current.end() || t->first < c->first) {
      ins(t->second);
      ++stats.inserted;
      ++t;
    } else {
      if (!same(c->second, t->second)) {
        del(c->first);
        ins(t->second);
        ++stats.replaced;
      }
      ++c;
      ++t;
    }
  }
}

// A grant row's values: pointers into the model being applied.
struct RoleRow {
  const User* user;
  std::int64_t position;
  const std::string* role;
  std::int64_t via;
};

struct AssociationRow {
  const User* user;
  std::int64_t position;
  const char* kind;  // a literal from store_codec::encode
  const std::string* target;
  std::int64_t via;
};

void bind_user(SQLite::Statement& s, int i, const User* const& u) {
  s.bindNoCopy(i, u->id);
  s.bindNoCopy(i + 1, u->username);
  s.bindNoCopy(i + 2, u->display_name);
  s.bindNoCopy(i + 3, u->email);
  s.bindNoCopy(i + 4, u->dn);
  s.bindNoCopy(i + 5, u->source);
  s.bind(i + 6, u->enabled ? 1 : 0);
}

void bind_role(SQLite::Statement& s, int i, const RoleRow& r) {
  s.bindNoCopy(i, r.user->id);
  s.bind(i + 1, r.position);
  s.bindNoCopy(i + 2, *r.role);
  s.bind(i + 3, r.via);
}

void bind_association(SQLite::Statement& s, int i, const AssociationRow& a) {
  s.bindNoCopy(i, a.user->id);
  s.bind(i + 1, a.position);
  s.bindNoCopy(i + 2, a.kind);
  s.bindNoCopy(i + 3, *a.target);
  s.bind(i + 4, a.via);
}

class Writer {
 public:
  Writer(SQLite::Database& db, ProvenanceIds& provenances)
      : provenances_(provenances),
        del_permission_(db, "DELETE FROM permissions WHERE id = ?"),
        ins_permission_(db, "INSERT INTO permissions (id, name) VALUES (?, ?)"),
        del_role_(db, "DELETE FROM roles WHERE id = ?"),
        ins_role_(db, "INSERT INTO roles (id, name) VALUES (?, ?)"),
        ins_role_permission_(db,
                             "INSERT INTO role_permissions (role_id, position, permission_id) "
                             "VALUES (?, ?, ?)"),
        del_institution_(db, "DELETE FROM institutions WHERE id = ?"),
        ins_institution_(db,
                         "INSERT INTO institutions (id, name, mis_url, skip_second_factor) "
                         "VALUES (?, ?, ?, ?)"),
        del_cluster_(db, "DELETE FROM clusters WHERE id = ?"),
        ins_cluster_(db, "INSERT INTO clusters (id, name) VALUES (?, ?)"),
        ins_cluster_institution_(db,
                                 "INSERT INTO cluster_institutions "
                                 "(cluster_id, position, institution_id) VALUES (?, ?, ?)"),
        del_user_(db, "DELETE FROM users WHERE id = ?"),
        del_user_roles_(db, "DELETE FROM user_roles WHERE user_id = ?"),
        del_user_associations_(db, "DELETE FROM user_associations WHERE user_id = ?"),
        ins_user_(db, "INSERT INTO users (id, username, display_name, email, dn, source, enabled)",
                  7, bind_user),
        ins_user_role_(db, "INSERT INTO user_roles (user_id, position, role_id, via)", 4,
                       bind_role),
        ins_user_association_(
            db, "INSERT INTO user_associations (user_id, position, kind, target, via)", 5,
            bind_association) {}

  // Every table but users.
  void write_others(const AccessModel& current, const AccessModel& target, ModelWriteStats& stats) {
    walk_delta(
        current.permissions, target.permissions, same_permission,
        [&](const std::string& id) { erase(del_permission_, id); },
        [&](const Permission& p) { insert(p); }, stats);
    walk_delta(
        current.roles, target.roles, same_role,
        [&](const std::string& id) { erase(del_role_, id); }, [&](const Role& r) { insert(r); },
        stats);
    walk_delta(
        current.institutions, target.institutions, same_institution,
        [&](const std::string& id) { erase(del_institution_, id); },
        [&](const Institution& i) { insert(i); }, stats);
    walk_delta(
        current.clusters, target.clusters, same_cluster,
        [&](const std::string& id) { erase(del_cluster_, id); },
        [&](const Cluster& c) { insert(c); }, stats);
  }

  void erase_user(const std::string& id) {
    erase(del_user_roles_, id);
    erase(del_user_associations_, id);
    erase(del_user_, id);
  }

  // Buffered (BatchedInsert): `u` must outlive the next flush_users().
  void insert(const User& u) {
    ins_user_.add(&u);
    for (std::size_t i = 0; i < u.roles.size(); ++i) {
      const RoleGrant& g = u.roles[i];
      ins_user_role_.add(
          RoleRow{&u, static_cast<std::int64_t>(i), &g.role, provenances_.id_for(g.via)});
    }
    for (std::size_t i = 0; i < u.associations.size(); ++i) {
      const Association& a = u.associations[i];
      ins_user_association_.add(AssociationRow{&u, static_cast<std::int64_t>(i),
                                               store_codec::encode(a.kind).data(), &a.target,
                                               provenances_.id_for(a.via)});
    }
  }

  void flush_users() {
    ins_user_.flush();
    ins_user_role_.flush();
    ins_user_association_.flush();
  }

 private:
  // Deleting an owner cascades to its child rows (ON DELETE CASCADE), except for users: the
  // grant tables have no foreign key (schema version 3), so their rows go first, here.
  static void erase(SQLite::Statement& s, const std::string& id) {
    s.bindNoCopy(1, id);
    run(s);
  }

  void insert(const Permission& p) {
    ins_permission_.bindNoCopy(1, p.id);
    ins_permission_.bindNoCopy(2, p.name);
    run(ins_permission_);
  }

  void insert(const Role& r) {
    ins_role_.bindNoCopy(1, r.id);
    ins_role_.bindNoCopy(2, r.name);
    run(ins_role_);
    for (std::size_t i = 0; i < r.permissions.size(); ++i) {
      ins_role_permission_.bindNoCopy(1, r.id);
      ins_role_permission_.bind(2, static_cast<std::int64_t>(i));
      ins_role_permission_.bindNoCopy(3, r.permissions[i]);
      run(ins_role_permission_);
    }
  }

  void insert(const Institution& i) {
    ins_institution_.bindNoCopy(1, i.id);
    ins_institution_.bindNoCopy(2, i.name);
    ins_institution_.bindNoCopy(3, i.mis_url);
    bind_text(ins_institution_, 4, store_codec::encode(i.skip_second_factor));
    run(ins_institution_);
  }

  void insert(const Cluster& c) {
    ins_cluster_.bindNoCopy(1, c.id);
    ins_cluster_.bindNoCopy(2, c.name);
    run(ins_cluster_);
    for (std::size_t i = 0; i < c.institutions.size(); ++i) {
      ins_cluster_institution_.bindNoCopy(1, c.id);
      ins_cluster_institution_.bind(2, static_cast<std::int64_t>(i));
      ins_cluster_institution_.bindNoCopy(3, c.institutions[i]);
      run(ins_cluster_institution_);
    }
  }

  ProvenanceIds& provenances_;
  SQLite::Statement del_permission_, ins_permission_;
  SQLite::Statement del_role_, ins_role_, ins_role_permission_;
  SQLite::Statement del_institution_, ins_institution_;
  SQLite::Statement del_cluster_, ins_cluster_, ins_cluster_institution_;
  SQLite::Statement del_user_, del_user_roles_, del_user_associations_;
  BatchedInsert<const User*> ins_user_;
  BatchedInsert<RoleRow> ins_user_role_;
  BatchedInsert<AssociationRow> ins_user_association_;
};

}  // namespace

class ModelDeltaWriter::Statements : public Writer {
  using Writer::Writer;
};

ModelDeltaWriter::ModelDeltaWriter(SQLite::Database& db, ProvenanceIds& provenances,
                                   const AccessModel& current)
    : statements_(std::make_unique<Statements>(db, provenances)),
      provenances_(provenances),
      current_(current),
      next_current_(current.users.entries().begin()) {}

ModelDeltaWriter::~ModelDeltaWriter() = default;

void ModelDeltaWriter::user(const UserMap::Ptr& user) {
  const std::string& id = user->id;
  if (last_ && !(last_->id < id))
    throw std::logic_error("store: users must come in increasing id order ('" + id + "' after '" +
                           last_->id + "')");
  const auto end = current_.users.entries().end();
  for (; next_current_ != end && next_current_->first < id; ++next_current_) {
    statements_->erase_user(next_current_->first);
    ++stats_.deleted;
  }
  if (next_current_ != end && next_current_->first == id) {
    if (next_current_->second != user && !same_user(*next_current_->second, *user)) {
      statements_->erase_user(id);
      statements_->insert(*user);
      ++stats_.replaced;
    }
    ++next_current_;
  } else {
    statements_->insert(*user);
    ++stats_.inserted;
  }
  last_ = user;
}

ModelWriteStats ModelDeltaWriter::finish(const AccessModel& target) {
  const auto end = current_.users.entries().end();
  for (; next_current_ != end; ++next_current_) {
    statements_->erase_user(next_current_->first);
    ++stats_.deleted;
  }
  statements_->flush_users();  // before collecting provenances no written row names yet
  statements_->write_others(current_, target, stats_);
  stats_.provenances_collected = provenances_.collect_garbage();
  return stats_;
}

}  // namespace trustgate
