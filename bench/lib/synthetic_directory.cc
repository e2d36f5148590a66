#include "bench/lib/synthetic_directory.h"

#include <fmt/format.h>

namespace trustgate::bench {
namespace {

std::string uuid(std::uint32_t kind, std::size_t n) {
  return fmt::format("{:08x}-0000-4000-8000-{:012x}", kind, n);
}

}  // namespace

SyntheticDirectory make_synthetic_directory(const SyntheticShape& s) {
  SyntheticDirectory d;
  auto& snap = d.snapshot;
  snap.source = "synthetic";
  const std::string people = "ou=people," + s.base;
  const std::string groups = "ou=groups," + s.base;
  const std::string schools = "ou=schools,ou=groups," + s.base;
  snap.users.reserve(s.users);
  for (std::size_t i = 0; i < s.users; ++i) {
    DirectoryUser u;
    u.id = uuid(1, i);
    u.username = fmt::format("user{:06}", i);
    u.dn = fmt::format("uid={},{}", u.username, people);
    u.display_name = fmt::format("User {}", i);
    u.email = u.username + "@la.example";
    u.enabled = i % 97 != 0;
    snap.users.push_back(std::move(u));
  }
  std::size_t gid = 0;
  auto group = [&](std::string cn, const std::string& parent) -> DirectoryGroup& {
    DirectoryGroup g;
    g.id = uuid(2, gid++);
    g.dn = fmt::format("cn={},{}", cn, parent);
    g.name = std::move(cn);
    snap.groups.push_back(std::move(g));
    return snap.groups.back();
  };
  snap.groups.reserve(s.groups);
  // One staff group per school: every user is staff at one school.
  for (std::size_t k = 0; k < s.schools; ++k) group(fmt::format("Staff-{}", 100000 + k), schools);
  for (std::size_t i = 0; i < s.users; ++i)
    snap.groups[i % s.schools].member_dns.push_back(snap.users[i].dn);
  // The login role: a big direct group plus a nesting chain Nest-1 ⊂ ... ⊂ Nest-depth ⊂ it.
  {
    auto& mis = group("MIS-Users", groups);
    for (std::size_t i = 0; i < s.big_group_members && i < s.users; ++i)
      mis.member_dns.push_back(snap.users[i].dn);
  }
  const std::size_t mis_index = snap.groups.size() - 1;
  std::vector<std::size_t> nest;
  for (std::size_t level = 1; level <= s.nesting_depth; ++level) {
    group(fmt::format("Nest-{}", level), groups);
    nest.push_back(snap.groups.size() - 1);
  }
  for (std::size_t level = 0; level < nest.size(); ++level) {
    const std::size_t parent = level + 1 < nest.size() ? nest[level + 1] : mis_index;
    snap.groups[parent].member_dns.push_back(snap.groups[nest[level]].dn);
  }
  for (std::size_t i = s.big_group_members; i < s.users; ++i) {
    if (i % 10 == 9) continue;  // every tenth user has no login role
    snap.groups[nest[i % nest.size()]].member_dns.push_back(snap.users[i].dn);
  }
  // Clusters of 50 schools; 1% of users get a cluster; 100 get all institutions.
  const std::size_t clusters = std::max<std::size_t>(1, s.schools / 50);
  for (std::size_t c = 0; c < clusters; ++c) {
    auto& g = group(fmt::format("Cluster-{}", c), groups);
    for (std::size_t i = c; i < s.users; i += 100 * clusters)
      g.member_dns.push_back(snap.users[i].dn);
    Cluster cl{fmt::format("c{}", c), fmt::format("Cluster {}", c), {}};
    for (std::size_t k = c * 50; k < (c + 1) * 50 && k < s.schools; ++k)
      cl.institutions.push_back(std::to_string(100000 + k));
    d.mapping.clusters.push_back(std::move(cl));
  }
  {
    auto& g = group("LA-Central", groups);
    for (std::size_t i = 0; i < 100 && i < s.users; ++i)
      g.member_dns.push_back(snap.users[i * 7].dn);
  }
  {
    auto& g = group("Headteachers", groups);
    for (std::size_t i = 0; i < s.users; i += std::max<std::size_t>(1, s.users / s.schools))
      g.member_dns.push_back(snap.users[i].dn);
  }
  // Unmapped department groups fill up to the requested total.
  for (std::size_t n = 0; snap.groups.size() < s.groups; ++n) {
    auto& g = group(fmt::format("Dept-{}", n), groups);
    for (std::size_t j = 0; j < 20; ++j)
      g.member_dns.push_back(snap.users[(n * 31 + j * 997) % s.users].dn);
  }

  auto& m = d.mapping;
  m.permissions.push_back({"mis.reports.view", "View reports"});
  m.roles.push_back({"mat-staff", "MAT staff", {std::string(kLoginPermission)}});
  m.roles.push_back({"head", "Headteacher", {"mis.reports.view"}});
  for (std::size_t k = 0; k < s.schools; ++k) {
    const std::string id = std::to_string(100000 + k);
    m.institutions.push_back({id, "School " + id, "https://mis.la.example/" + id,
                              k % 2 ? SecondFactorPolicy::Always : SecondFactorPolicy::WhenMfa});
  }
  auto rule = [&](std::string id, GroupMatcher::Kind kind, std::string value) -> MappingRule& {
    m.rules.push_back(MappingRule{std::move(id), {kind, std::move(value)}, {}, {}, {}, {}, false});
    return m.rules.back();
  };
  rule("school-staff", GroupMatcher::Kind::Pattern, "^cn=staff-(\\d+),ou=schools,.*")
      .institutions = {"$1"};
  rule("mis-users", GroupMatcher::Kind::Dn, "cn=MIS-Users," + groups).roles = {"mat-staff"};
  rule("clusters", GroupMatcher::Kind::Pattern, "^cn=cluster-(\\d+),.*").clusters = {"c$1"};
  rule("central", GroupMatcher::Kind::Dn, "cn=LA-Central," + groups).all_institutions = true;
  rule("heads", GroupMatcher::Kind::Dn, "cn=Headteachers," + groups).roles = {"head"};
  return d;
}

void write_ldif(std::ostream& out, const SyntheticDirectory& d, const SyntheticShape& s) {
  const auto dc = s.base.substr(3, s.base.find(',') - 3);
  out << "dn: " << s.base << "\nobjectClass: dcObject\nobjectClass: organization\no: LA\ndc: " << dc
      << "\n\n";
  for (const char* ou : {"people", "groups"})
    out << "dn: ou=" << ou << "," << s.base << "\nobjectClass: organizationalUnit\nou: " << ou
        << "\n\n";
  out << "dn: ou=schools,ou=groups," << s.base
      << "\nobjectClass: organizationalUnit\nou: schools\n\n";
  for (const auto& u : d.snapshot.users) {
    out << "dn: " << u.dn << "\nobjectClass: inetOrgPerson\nuid: " << u.username
        << "\ncn: " << u.display_name << "\nsn: " << u.username << "\nmail: " << u.email
        << "\nentryUUID: " << u.id << (u.enabled ? "" : "\nemployeeType: disabled") << "\n\n";
  }
  for (const auto& g : d.snapshot.groups) {
    out << "dn: " << g.dn << "\nobjectClass: groupOfNames\ncn: " << g.name
        << "\nentryUUID: " << g.id << '\n';
    for (const auto& m : g.member_dns) out << "member: " << m << '\n';
    if (g.member_dns.empty()) out << "member: cn=nobody\n";
    out << '\n';
  }
}

}  // namespace trustgate::bench
