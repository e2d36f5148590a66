#pragma once
// Test-only builders for directory snapshots, mapping configs and models (header-only).
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "mapping/access_model.h"
#include "mapping/directory_snapshot.h"
#include "mapping/mapping_config.h"

namespace trustgate::testing {

inline constexpr char kBase[] = "ou=groups,dc=la,dc=example";

inline std::string user_dn(const std::string& username) {
  return fmt::format("uid={},ou=people,dc=la,dc=example", username);
}
inline std::string group_dn(const std::string& cn) { return fmt::format("cn={},{}", cn, kBase); }

inline DirectoryUser make_user(const std::string& username, bool enabled = true) {
  DirectoryUser u;
  u.id = "id-" + username;
  u.dn = user_dn(username);
  u.username = username;
  u.display_name = "User " + username;
  u.email = username + "@la.example";
  u.enabled = enabled;
  return u;
}

// A group named `cn` whose member values are `members` (DNs of users or groups).
inline DirectoryGroup make_group(const std::string& cn, std::vector<std::string> members = {},
                                 std::string description = {}) {
  DirectoryGroup g;
  g.id = "gid-" + cn;
  g.dn = group_dn(cn);
  g.name = cn;
  g.description = std::move(description);
  g.member_dns = std::move(members);
  return g;
}

inline GroupMatcher by_dn(std::string dn) { return {GroupMatcher::Kind::Dn, std::move(dn)}; }
inline GroupMatcher by_id(std::string id) { return {GroupMatcher::Kind::StableId, std::move(id)}; }
inline GroupMatcher by_pattern(std::string re) {
  return {GroupMatcher::Kind::Pattern, std::move(re)};
}

inline MappingRule make_rule(std::string id, GroupMatcher group) {
  MappingRule r;
  r.id = std::move(id);
  r.group = std::move(group);
  return r;
}

// An LA: five schools, a "Primaries" cluster of the two primaries, a "teacher" role carrying
// the login permission and a "viewer" role that does not.
inline MappingConfig la_config() {
  MappingConfig c;
  c.permissions = {{"mis.read", "Read MIS"}};
  c.roles = {{"teacher", "Teacher", {std::string(kLoginPermission), "mis.read"}},
             {"viewer", "Viewer", {"mis.read"}}};
  c.institutions = {{"100001", "Alder Primary", "https://alder.example/mis"},
                    {"100002", "Birch Primary", "https://birch.example/mis"},
                    {"100003", "Cedar Secondary", "https://cedar.example/mis"},
                    {"100004", "Damson Secondary", "https://damson.example/mis"},
                    {"100005", "Elm Secondary", "https://elm.example/mis"}};
  c.clusters = {{"primaries", "Primaries", {"100001", "100002"}}};
  return c;
}

inline DirectorySnapshot snapshot(std::string source, std::vector<DirectoryUser> users,
                                  std::vector<DirectoryGroup> groups) {
  DirectorySnapshot s;
  s.source = std::move(source);
  s.users = std::move(users);
  s.groups = std::move(groups);
  return s;
}

// Rules for staff_everyone_directory(): Staff members are teachers, Everyone has every school.
inline MappingConfig staff_everyone_config() {
  auto config = la_config();
  auto staff = make_rule("staff", by_dn(group_dn("Staff")));
  staff.roles = {"teacher"};
  auto all = make_rule("everyone", by_dn(group_dn("Everyone")));
  all.all_institutions = true;
  config.rules = {staff, all};
  return config;
}

// `n` users user00000.. (every seventh disabled), every third in Staff, the others in
// Everyone, which also holds Staff: a directory big enough for the mapper's threads.
inline DirectorySnapshot staff_everyone_directory(int n) {
  std::vector<DirectoryUser> users;
  std::vector<std::string> staff, everyone = {group_dn("Staff")};
  for (int i = 0; i < n; ++i) {
    users.push_back(make_user(fmt::format("user{:05}", i), i % 7 != 0));
    (i % 3 == 0 ? staff : everyone).push_back(users.back().dn);
  }
  return snapshot("ad", users, {make_group("Staff", staff), make_group("Everyone", everyone)});
}

inline std::string dump(const Provenance& p) {
  return fmt::format("[{} {} {} {} ({})]", p.kind == Provenance::Kind::Rule ? "rule" : "manual",
                     p.rule, p.group, p.source, fmt::join(p.chain, " > "));
}

// A complete, ordered text form of a model: equal dumps mean equal models.
inline std::string dump(const AccessModel& m) {
  std::string out;
  for (const auto& [id, p] : m.permissions) out += fmt::format("perm {} {}\n", id, p.name);
  for (const auto& [id, r] : m.roles) {
    out += fmt::format("role {} {} {}\n", id, r.name, fmt::join(r.permissions, ","));
  }
  for (const auto& [id, i] : m.institutions) {
    out +=
        fmt::format("inst {} {} {} {}\n", id, i.name, i.mis_url, to_string(i.skip_second_factor));
  }
  for (const auto& [id, c] : m.clusters) {
    out += fmt::format("cluster {} {} {}\n", id, c.name, fmt::join(c.institutions, ","));
  }
  for (const auto& [id, u] : m.users) {
    out += fmt::format("user {} {} {} {} {} {} {}\n", id, u.username, u.display_name, u.email, u.dn,
                       u.source, u.enabled);
    for (const auto& g : u.roles) out += fmt::format("  role {} {}\n", g.role, dump(*g.via));
    for (const auto& a : u.associations) {
      out += fmt::format("  assoc {} {} {}\n", to_string(a.kind), a.target, dump(*a.via));
    }
  }
  return out;
}

}  // namespace trustgate::testing
