#pragma once
// Test-only: a small LA access model, clients and a temporary SQLite file for the API tests.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "daemon/handoff/client_auth.h"
#include "daemon/serving/snapshot.h"
#include "mapping/access_model.h"

namespace trustgate::api_testing {

inline Provenance rule(std::string id, std::string group) {
  Provenance p;
  p.kind = Provenance::Kind::Rule;
  p.rule = std::move(id);
  p.group = group;
  p.chain = {group};
  p.source = "ad";
  return p;
}

inline User user(std::string name, std::vector<std::string> roles,
                 std::vector<Association> associations, bool enabled = true) {
  User u;
  u.id = "id-" + name;
  u.username = name;
  u.display_name = "User " + name;
  u.email = name + "@la.example";
  u.dn = "uid=" + name + ",ou=people,dc=la,dc=example";
  u.source = "ad";
  u.enabled = enabled;
  for (auto& r : roles) u.roles.push_back({r, rule("r-" + r, "cn=" + r + ",ou=groups")});
  u.associations = std::move(associations);
  return u;
}

inline Association assoc(AssociationKind kind, std::string target, std::string rule_id,
                         std::string group) {
  return Association{kind, std::move(target), rule(std::move(rule_id), std::move(group))};
}

// alice: teacher, cluster primaries (100001 "always" skip-2FA, 100002 "when_mfa")
// bob: viewer (no login permission), institution 100001
// carol: teacher, all institutions, disabled
// dave: teacher, no associations
// erin: teacher, institution 100003 directly
inline AccessModel la_model() {
  AccessModel m;
  m.permissions[std::string(kLoginPermission)] = {std::string(kLoginPermission),
                                                  std::string(kLoginPermissionName)};
  m.permissions["mis.read"] = {"mis.read", "Read MIS"};
  m.roles["teacher"] = {"teacher", "Teacher", {std::string(kLoginPermission), "mis.read"}};
  m.roles["viewer"] = {"viewer", "Viewer", {"mis.read"}};
  m.institutions["100001"] = {"100001", "Alder Primary", "https://alder.example/mis",
                              SecondFactorPolicy::Always};
  m.institutions["100002"] = {"100002", "Birch Primary", "https://birch.example/mis",
                              SecondFactorPolicy::WhenMfa};
  m.institutions["100003"] = {"100003", "Cedar Secondary", "https://cedar.example/mis",
                              SecondFactorPolicy::WhenMfa};
  m.clusters["primaries"] = {"primaries", "Primaries", {"100001", "100002"}};
  auto add = [&](User u) { m.users[u.id] = std::move(u); };
  add(user("alice", {"teacher"},
           {assoc(AssociationKind::Cluster, "primaries", "primaries", "cn=Primary Staff")}));
  add(user("bob", {"viewer"},
           {assoc(AssociationKind::Institution, "100001", "alder", "cn=Alder Staff")}));
  add(user("carol", {"teacher"}, {assoc(AssociationKind::All, "", "all", "cn=LA Staff")}, false));
  add(user("dave", {"teacher"}, {}));
  add(user("erin", {"teacher"},
           {assoc(AssociationKind::Institution, "100003", "cedar", "cn=Cedar Staff")}));
  return m;
}

inline SnapshotPtr la_snapshot(std::int64_t revision = 1, AccessModel m = la_model(),
                               std::vector<ManualAssociation> manual = {}) {
  RevisionInfo info;
  info.number = revision;
  info.applied_at = 1'800'000'000;
  return ServingSnapshot::build(std::move(m), manual, info, 1'800'000'000);
}

inline constexpr char kSiteSecret[] = "site-secret-0123456789";
inline constexpr char kAlderSecret[] = "alder-secret-0123456789";
inline constexpr char kBirchSecret[] = "birch-secret-0123456789";
inline constexpr char kAdminSecret[] = "admin-secret-0123456789";

inline ClientRegistry la_clients() {
  std::vector<ClientSecret> c = {
      {{"mat-site", ClientKind::Site, ""}, kSiteSecret},
      {{"alder", ClientKind::School, "100001"}, kAlderSecret},
      {{"birch", ClientKind::School, "100002"}, kBirchSecret},
      {{"ops", ClientKind::Admin, ""}, kAdminSecret},
  };
  return *ClientRegistry::from_secrets(std::move(c));
}

// A fresh directory, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tg-api-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace trustgate::api_testing
