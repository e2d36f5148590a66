#include "bench/lib/mapping_toml.h"

#include <fmt/format.h>

#include <vector>

namespace trustgate::bench {
namespace {

std::string literal(const std::string& s) { return "'" + s + "'"; }  // TOML literal string

std::string list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (const auto& s : v) out += (out.size() > 1 ? ", " : "") + literal(s);
  return out + "]";
}

}  // namespace

std::string mapping_toml(const MappingConfig& m) {
  std::string out;
  for (const auto& p : m.permissions)
    out += fmt::format("[[permission]]\nid = {}\nname = {}\n\n", literal(p.id), literal(p.name));
  for (const auto& r : m.roles)
    out += fmt::format("[[role]]\nid = {}\nname = {}\npermissions = {}\n\n", literal(r.id),
                       literal(r.name), list(r.permissions));
  for (const auto& i : m.institutions)
    out += fmt::format(
        "[[institution]]\nid = {}\nname = {}\nmis_url = {}\nskip_second_factor = {}\n\n",
        literal(i.id), literal(i.name), literal(i.mis_url),
        i.skip_second_factor == SecondFactorPolicy::Always ? "'always'" : "'when_mfa'");
  for (const auto& c : m.clusters)
    out += fmt::format("[[cluster]]\nid = {}\nname = {}\ninstitutions = {}\n\n", literal(c.id),
                       literal(c.name), list(c.institutions));
  for (const auto& r : m.rules) {
    out += fmt::format("[[rule]]\nid = {}\n", literal(r.id));
    switch (r.group.kind) {
      case GroupMatcher::Kind::Dn:
        out += "group_dn = " + literal(r.group.value) + "\n";
        break;
      case GroupMatcher::Kind::StableId:
        out += "group_id = " + literal(r.group.value) + "\n";
        break;
      case GroupMatcher::Kind::Pattern:
        out += "group_pattern = " + literal(r.group.value) + "\n";
        break;
    }
    if (!r.roles.empty()) out += "roles = " + list(r.roles) + "\n";
    if (!r.institutions.empty()) out += "institutions = " + list(r.institutions) + "\n";
    if (!r.clusters.empty()) out += "clusters = " + list(r.clusters) + "\n";
    if (r.all_institutions) out += "all_institutions = true\n";
    out += "\n";
  }
  return out;
}

}  // namespace trustgate::bench
