#include "daemon/store/store_model_writer.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <stdexcept>

#include "daemon/store/store_batched_insert.h"
#include "daemon/store/store_codec.h"
#include "daemon/store/store_grant_sets.h"
#include "daemon/store/store_model_compare.h"

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

// A user row's values: the user, in the model being applied, and its grant set.
struct UserRow {
  const User* user;
  std::int64_t grant_set;
};

void bind_user(SQLite::Statement& s, int i, const UserRow& r) {
  const User* u = r.user;
  s.bindNoCopy(i, u->id);
  s.bindNoCopy(i + 1, u->username);
  s.bindNoCopy(i + 2, u->display_name);
  s.bindNoCopy(i + 3, u->email);
  s.bindNoCopy(i + 4, u->dn);
  s.bindNoCopy(i + 5, u->source);
  s.bind(i + 6, u->enabled ? 1 : 0);
  s.bind(i + 7, r.grant_set);
}

class Writer {
 public:
  Writer(SQLite::Database& db, GrantSetIds& grant_sets)
      : grant_sets_(grant_sets),
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
        ins_user_(db,
                  "INSERT INTO users "
                  "(id, username, display_name, email, dn, source, enabled, grant_set)",
                  8, bind_user) {}

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

  void erase_user(const std::string& id) { erase(del_user_, id); }

  // Buffered (BatchedInsert): `u` must outlive the next flush_users().
  void insert(const User& u) { ins_user_.add(UserRow{&u, grant_sets_.id_for(u)}); }

  void flush_users() { ins_user_.flush(); }

 private:
  // Deleting an owner cascades to its child rows (ON DELETE CASCADE); a user's grant set is
  // shared, and collected once no user names it.
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

  GrantSetIds& grant_sets_;
  SQLite::Statement del_permission_, ins_permission_;
  SQLite::Statement del_role_, ins_role_, ins_role_permission_;
  SQLite::Statement del_institution_, ins_institution_;
  SQLite::Statement del_cluster_, ins_cluster_, ins_cluster_institution_;
  SQLite::Statement del_user_;
  BatchedInsert<UserRow> ins_user_;
};

}  // namespace

class ModelDeltaWriter::Statements : public Writer {
  using Writer::Writer;
};

ModelDeltaWriter::ModelDeltaWriter(SQLite::Database& db, GrantSetIds& grant_sets,
                                   const AccessModel& current)
    : statements_(std::make_unique<Statements>(db, grant_sets)),
      grant_sets_(grant_sets),
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
  statements_->flush_users();  // before collecting sets no written row names yet
  statements_->write_others(current_, target, stats_);
  const GrantGarbage gone = grant_sets_.collect_garbage();
  stats_.grant_sets_collected = gone.grant_sets;
  stats_.provenances_collected = gone.provenances;
  return stats_;
}

}  // namespace trustgate
