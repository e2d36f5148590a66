#include "mapping/model_catalog.h"

#include <string>
#include <utility>

#include <fmt/format.h>

#include "mapping/rule_matcher.h"

namespace trustgate {
namespace {

void load_config(AccessModel& m, const MappingConfig& config, WarningLog& warnings) {
  m.permissions.emplace(
      std::string(kLoginPermission),
      Permission{std::string(kLoginPermission), std::string(kLoginPermissionName)});
  for (const auto& p : config.permissions) m.permissions[p.id] = p;
  for (const auto& r : config.roles) {
    m.roles[r.id] = r;
    for (const auto& perm : r.permissions) {
      if (!m.permissions.contains(perm)) {
        warnings.warn("", fmt::format("role '{}' names unknown permission '{}'", r.id, perm));
      }
    }
  }
  for (const auto& i : config.institutions) m.institutions[i.id] = i;
  for (const auto& c : config.clusters) m.clusters[c.id] = c;
}

void apply_institution_rules(AccessModel& m, const MappingConfig& config,
                             const std::vector<PreparedSnapshot>& prepared,
                             MappingMemo* pattern_cache, WarningLog& warnings) {
  for (const auto& rule : config.institution_rules) {
    const CompiledMatcher matcher = compile_matcher(rule.group, rule.id, warnings);
    bool matched = false;
    Captures captures;
    for (const auto& p : prepared) {
      for (std::size_t g : p.group_order) {
        const DirectoryGroup& group = p.snapshot->groups[g];
        if (!matches(matcher, group, p.norm_dns[g], captures, pattern_cache)) continue;
        matched = true;
        Institution inst;
        inst.id = expand(rule.institution_id, captures, &group);
        if (inst.id.empty()) {
          warnings.warn(rule.id, fmt::format("group '{}' gives an empty institution id", group.dn));
          continue;
        }
        inst.name = expand(rule.name, captures, &group);
        if (inst.name.empty()) inst.name = group.name.empty() ? inst.id : group.name;
        inst.mis_url = expand(rule.mis_url, captures, &group);
        inst.skip_second_factor = rule.skip_second_factor;
        m.institutions.emplace(inst.id, std::move(inst));
      }
    }
    if (!matched && matcher.valid) {
      warnings.warn(rule.id, fmt::format("institution rule matched no group ({} '{}')",
                                         matcher_kind(rule.group), rule.group.value));
    }
  }
}

void check_clusters(const AccessModel& m, WarningLog& warnings) {
  for (const auto& [id, cluster] : m.clusters) {
    for (const auto& inst : cluster.institutions) {
      if (!m.institutions.contains(inst)) {
        warnings.warn("", fmt::format("cluster '{}' names unknown institution '{}'", id, inst));
      }
    }
  }
}

}  // namespace

void build_catalog(AccessModel& model, const MappingConfig& config,
                   const std::vector<PreparedSnapshot>& prepared, MappingMemo* pattern_cache,
                   WarningLog& warnings) {
  load_config(model, config, warnings);
  apply_institution_rules(model, config, prepared, pattern_cache, warnings);
  check_clusters(model, warnings);
}

}  // namespace trustgate
