#include "daemon/store/store_model_reader.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <fmt/format.h>
#include <unordered_map>

#include "daemon/store/store_codec.h"

namespace trustgate {
namespace {

template <typename T>
T& owner(std::map<std::string, T>& map, const std::string& id, std::string_view table) {
  auto it = map.find(id);
  if (it == map.end()) throw StoreCorrupt(fmt::format("{}: row for unknown owner {}", table, id));
  return it->second;
}

template <typename T>
T decoded(std::optional<T> value, std::string_view table, std::string_view column,
          const std::string& text) {
  if (!value) throw StoreCorrupt(fmt::format("{}.{}: unreadable value '{}'", table, column, text));
  return std::move(*value);
}

// The provenances table by id; each row is one shared object, as the mapper made them.
std::unordered_map<std::int64_t, SharedProvenance> read_provenances(SQLite::Database& db) {
  std::unordered_map<std::int64_t, SharedProvenance> out;
  SQLite::Statement q(db, kSelectProvenances);
  while (q.executeStep()) out.emplace(q.getColumn(0).getInt64(), read_provenance_row(q));
  return out;
}

const SharedProvenance& provenance_of(
    const std::unordered_map<std::int64_t, SharedProvenance>& provenances, std::int64_t id,
    std::string_view table) {
  auto it = provenances.find(id);
  if (it == provenances.end()) {
    throw StoreCorrupt(fmt::format("{}.via: no provenance {}", table, id));
  }
  return it->second;
}

struct GrantSet {
  std::vector<RoleGrant> roles;
  std::vector<Association> associations;
};

// The grant sets by id, each grant naming its shared provenance object.
std::unordered_map<std::int64_t, GrantSet> read_grant_sets(SQLite::Database& db) {
  const auto provenances = read_provenances(db);
  std::unordered_map<std::int64_t, GrantSet> sets;
  {
    SQLite::Statement q(db, "SELECT id FROM grant_sets");
    while (q.executeStep()) sets.emplace(q.getColumn(0).getInt64(), GrantSet{});
  }
  auto set_of = [&](std::int64_t id, std::string_view table) -> GrantSet& {
    auto it = sets.find(id);
    if (it == sets.end()) throw StoreCorrupt(fmt::format("{}: row for unknown set {}", table, id));
    return it->second;
  };
  SQLite::Statement r(db,
                      "SELECT set_id, role_id, via FROM grant_set_roles ORDER BY set_id, position");
  while (r.executeStep()) {
    set_of(r.getColumn(0).getInt64(), "grant_set_roles")
        .roles.push_back(
            RoleGrant{r.getColumn(1).getString(),
                      provenance_of(provenances, r.getColumn(2).getInt64(), "grant_set_roles")});
  }
  SQLite::Statement a(db,
                      "SELECT set_id, kind, target, via FROM grant_set_associations "
                      "ORDER BY set_id, position");
  while (a.executeStep()) {
    GrantSet& set = set_of(a.getColumn(0).getInt64(), "grant_set_associations");
    std::string kind = a.getColumn(1).getString();
    Association assoc;
    assoc.kind =
        decoded(store_codec::decode_association_kind(kind), "grant_set_associations", "kind", kind);
    assoc.target = a.getColumn(2).getString();
    assoc.via = provenance_of(provenances, a.getColumn(3).getInt64(), "grant_set_associations");
    set.associations.push_back(std::move(assoc));
  }
  return sets;
}

}  // namespace

Provenance read_provenance_row(const SQLite::Statement& q) {
  Provenance p;
  std::string kind = q.getColumn(1).getString();
  p.kind = decoded(store_codec::decode_provenance_kind(kind), "provenances", "kind", kind);
  p.rule = q.getColumn(2).getString();
  p.group = q.getColumn(3).getString();
  std::string chain = q.getColumn(4).getString();
  p.chain = decoded(store_codec::decode_chain(chain), "provenances", "chain", chain);
  p.source = q.getColumn(5).getString();
  return p;
}

AccessModel read_model(SQLite::Database& db) {
  AccessModel m;
  {
    SQLite::Statement q(db, "SELECT id, name FROM permissions ORDER BY id");
    while (q.executeStep()) {
      Permission p{q.getColumn(0).getString(), q.getColumn(1).getString()};
      m.permissions.emplace_hint(m.permissions.end(), p.id, std::move(p));
    }
  }
  {
    SQLite::Statement q(db, "SELECT id, name FROM roles ORDER BY id");
    while (q.executeStep()) {
      Role r{q.getColumn(0).getString(), q.getColumn(1).getString(), {}};
      m.roles.emplace_hint(m.roles.end(), r.id, std::move(r));
    }
    SQLite::Statement c(db,
                        "SELECT role_id, permission_id FROM role_permissions "
                        "ORDER BY role_id, position");
    while (c.executeStep()) {
      owner(m.roles, c.getColumn(0).getString(), "role_permissions")
          .permissions.push_back(c.getColumn(1).getString());
    }
  }
  {
    SQLite::Statement q(db,
                        "SELECT id, name, mis_url, skip_second_factor FROM institutions "
                        "ORDER BY id");
    while (q.executeStep()) {
      Institution i{q.getColumn(0).getString(), q.getColumn(1).getString(),
                    q.getColumn(2).getString()};
      std::string policy = q.getColumn(3).getString();
      i.skip_second_factor = decoded(store_codec::decode_second_factor(policy), "institutions",
                                     "skip_second_factor", policy);
      m.institutions.emplace_hint(m.institutions.end(), i.id, std::move(i));
    }
  }
  {
    SQLite::Statement q(db, "SELECT id, name FROM clusters ORDER BY id");
    while (q.executeStep()) {
      Cluster c{q.getColumn(0).getString(), q.getColumn(1).getString(), {}};
      m.clusters.emplace_hint(m.clusters.end(), c.id, std::move(c));
    }
    SQLite::Statement c(db,
                        "SELECT cluster_id, institution_id FROM cluster_institutions "
                        "ORDER BY cluster_id, position");
    while (c.executeStep()) {
      owner(m.clusters, c.getColumn(0).getString(), "cluster_institutions")
          .institutions.push_back(c.getColumn(1).getString());
    }
  }
  {
    const auto sets = read_grant_sets(db);
    SQLite::Statement q(db,
                        "SELECT id, username, display_name, email, dn, source, enabled, "
                        "grant_set FROM users ORDER BY id");
    while (q.executeStep()) {
      User u;
      u.id = q.getColumn(0).getString();
      u.username = q.getColumn(1).getString();
      u.display_name = q.getColumn(2).getString();
      u.email = q.getColumn(3).getString();
      u.dn = q.getColumn(4).getString();
      u.source = q.getColumn(5).getString();
      u.enabled = q.getColumn(6).getInt() != 0;
      const std::int64_t set_id = q.getColumn(7).getInt64();
      auto set = sets.find(set_id);
      if (set == sets.end())
        throw StoreCorrupt(fmt::format("users.grant_set: no grant set {} (user {})", set_id, u.id));
      u.roles = set->second.roles;
      u.associations = set->second.associations;
      std::string id = u.id;
      m.users.put(id, std::make_shared<User>(std::move(u)));
    }
  }
  return m;
}

}  // namespace trustgate
