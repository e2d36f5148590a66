#include "mapping/rule_hits.h"

#include <string_view>

#include <fmt/format.h>

namespace trustgate {
namespace {

// Expands and checks one rule's targets for one matched group.
RuleHit hit_for(const MappingRule& rule, const Captures& captures, const AccessModel& m,
                WarningLog& warnings) {
  RuleHit hit;
  hit.rule = &rule;
  // Each template expanded, and kept when `known` has it.
  auto keep_known = [&](const std::vector<std::string>& templates, const auto& known,
                        std::string_view what, auto&& keep) {
    for (const auto& t : templates) {
      std::string target = expand(t, captures);
      if (known.contains(target)) {
        keep(std::move(target));
      } else {
        warnings.warn(rule.id, fmt::format("unknown {} '{}' skipped", what, target));
      }
    }
  };
  keep_known(rule.roles, m.roles, "role",
             [&](std::string role) { hit.roles.push_back(std::move(role)); });
  keep_known(rule.institutions, m.institutions, "institution", [&](std::string inst) {
    hit.associations.emplace_back(AssociationKind::Institution, std::move(inst));
  });
  keep_known(rule.clusters, m.clusters, "cluster", [&](std::string cluster) {
    hit.associations.emplace_back(AssociationKind::Cluster, std::move(cluster));
  });
  if (rule.all_institutions) hit.associations.emplace_back(AssociationKind::All, std::string());
  return hit;
}

}  // namespace

RuleSet::RuleSet(const MappingConfig& config, WarningLog& warnings) : config_(config) {
  matchers_.reserve(config.rules.size());
  for (const auto& r : config.rules) matchers_.push_back(compile_matcher(r.group, r.id, warnings));
  matched_.assign(config.rules.size(), false);
}

GroupHits RuleSet::match(const PreparedSnapshot& p, const AccessModel& catalog,
                         MappingMemo* pattern_cache, WarningLog& warnings) {
  const DirectorySnapshot& s = *p.snapshot;
  GroupHits hits;
  hits.by_group.resize(s.groups.size());
  Captures captures;
  for (std::size_t g : p.group_order) {
    for (std::size_t r = 0; r < config_.rules.size(); ++r) {
      const MappingRule& rule = config_.rules[r];
      if (rule.source && *rule.source != s.source) continue;
      if (!matches(matchers_[r], s.groups[g], p.norm_dns[g], captures, pattern_cache)) continue;
      matched_[r] = true;
      hits.by_group[g].push_back(hit_for(rule, captures, catalog, warnings));
      hits.any = true;
    }
  }
  return hits;
}

void RuleSet::report_unmatched(WarningLog& warnings) const {
  for (std::size_t i = 0; i < config_.rules.size(); ++i) {
    if (matched_[i] || !matchers_[i].valid) continue;
    const GroupMatcher& g = config_.rules[i].group;
    warnings.warn(
        config_.rules[i].id,
        fmt::format("rule matched no group ({} '{}'{})", matcher_kind(g), g.value,
                    g.kind == GroupMatcher::Kind::Pattern ? "; patterns match the whole DN" : ""));
  }
}

}  // namespace trustgate
