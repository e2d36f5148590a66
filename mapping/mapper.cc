#include "mapping/mapper.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <optional>
#include <regex>
#include <set>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "mapping/dn.h"
#include "mapping/group_tree.h"

namespace trustgate {
namespace {

using Captures = std::array<std::string, 10>;  // $0..$9

// A GroupMatcher prepared once: DNs normalised, ids lower-cased, regexes compiled.
struct CompiledMatcher {
  GroupMatcher::Kind kind = GroupMatcher::Kind::Dn;
  std::string key;  // normalised DN or lower-cased stable id
  std::optional<std::regex> pattern;
  bool valid = true;
};

CompiledMatcher compile(const GroupMatcher& m, const std::string& rule_id,
                        std::vector<MappingWarning>& warnings) {
  CompiledMatcher c;
  c.kind = m.kind;
  switch (m.kind) {
    case GroupMatcher::Kind::Dn:
      c.key = normalize_dn(m.value);
      break;
    case GroupMatcher::Kind::StableId:
      c.key = to_lower(m.value);
      break;
    case GroupMatcher::Kind::Pattern:
      try {
        c.pattern.emplace(m.value, std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error& e) {
        c.valid = false;
        warnings.push_back(
            {rule_id, fmt::format("invalid pattern '{}': {}; rule skipped", m.value, e.what())});
      }
      break;
  }
  if (m.value.empty()) {
    c.valid = false;
    warnings.push_back({rule_id, "empty group matcher; rule skipped"});
  }
  return c;
}

// True when the group matches; fills `captures` for patterns.
bool matches(const CompiledMatcher& m, const DirectoryGroup& group, const std::string& norm_dn,
             Captures& captures) {
  if (!m.valid) return false;
  switch (m.kind) {
    case GroupMatcher::Kind::Dn:
      return norm_dn == m.key;
    case GroupMatcher::Kind::StableId:
      return !group.id.empty() && iequals(group.id, m.key);
    case GroupMatcher::Kind::Pattern: {
      std::smatch sm;
      if (!std::regex_match(group.dn, sm, *m.pattern)) return false;
      for (std::size_t i = 0; i < captures.size(); ++i) {
        captures[i] = i < sm.size() && sm[i].matched ? sm[i].str() : std::string();
      }
      return true;
    }
  }
  return false;
}

// Expands $0..$9 and, when `group` is given, {name} and {description}.
std::string expand(std::string_view tmpl, const Captures& captures,
                   const DirectoryGroup* group = nullptr) {
  std::string out;
  out.reserve(tmpl.size());
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c == '$' && i + 1 < tmpl.size() && tmpl[i + 1] >= '0' && tmpl[i + 1] <= '9') {
      out += captures[static_cast<std::size_t>(tmpl[++i] - '0')];
      continue;
    }
    if (group != nullptr && c == '{') {
      if (tmpl.substr(i).starts_with("{name}")) {
        out += group->name.empty() ? first_rdn_value(group->dn) : group->name;
        i += 5;
        continue;
      }
      if (tmpl.substr(i).starts_with("{description}")) {
        out += group->description;
        i += 12;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

// A snapshot's groups in a stable order (normalised DN, then id), with their normalised DNs.
struct PreparedSnapshot {
  const DirectorySnapshot* snapshot = nullptr;
  std::vector<std::string> norm_dns;
  std::vector<std::size_t> group_order;
};

PreparedSnapshot prepare(const DirectorySnapshot& s) {
  PreparedSnapshot p;
  p.snapshot = &s;
  p.norm_dns.reserve(s.groups.size());
  for (const auto& g : s.groups) p.norm_dns.push_back(normalize_dn(g.dn));
  p.group_order.resize(s.groups.size());
  std::iota(p.group_order.begin(), p.group_order.end(), std::size_t{0});
  std::sort(p.group_order.begin(), p.group_order.end(), [&](std::size_t a, std::size_t b) {
    if (p.norm_dns[a] != p.norm_dns[b]) return p.norm_dns[a] < p.norm_dns[b];
    return s.groups[a].id < s.groups[b].id;
  });
  return p;
}

// What one rule grants to the members of one group (targets already expanded and checked).
struct RuleHit {
  const MappingRule* rule = nullptr;
  std::vector<std::string> roles;
  std::vector<std::pair<AssociationKind, std::string>> associations;
};

class Mapper {
 public:
  Mapper(const std::vector<DirectorySnapshot>& snapshots, const MappingConfig& config)
      : config_(config) {
    for (const auto& s : snapshots) prepared_.push_back(prepare(s));
    // Snapshots by source name: the result does not depend on their order either.
    std::stable_sort(prepared_.begin(), prepared_.end(), [](const auto& a, const auto& b) {
      return a.snapshot->source < b.snapshot->source;
    });
  }

  MappingResult run() {
    load_config();
    apply_institution_rules();
    check_clusters();
    rules_.reserve(config_.rules.size());
    for (const auto& r : config_.rules) rules_.push_back(compile(r.group, r.id, warnings_));
    rule_matched_.assign(config_.rules.size(), false);
    for (const auto& p : prepared_) map_snapshot(p);
    for (std::size_t i = 0; i < config_.rules.size(); ++i) {
      if (!rule_matched_[i] && rules_[i].valid) {
        const GroupMatcher& g = config_.rules[i].group;
        warn(config_.rules[i].id,
             fmt::format(
                 "rule matched no group ({} '{}'{})", matcher_kind(g), g.value,
                 g.kind == GroupMatcher::Kind::Pattern ? "; patterns match the whole DN" : ""));
      }
    }
    for (auto& [id, user] : result_.model.users) canonicalize_grants(user);
    result_.warnings = std::move(warnings_);
    return std::move(result_);
  }

 private:
  static std::string_view matcher_kind(const GroupMatcher& m) {
    switch (m.kind) {
      case GroupMatcher::Kind::Dn:
        return "dn";
      case GroupMatcher::Kind::StableId:
        return "id";
      case GroupMatcher::Kind::Pattern:
        return "pattern";
    }
    return "dn";
  }

  void warn(const std::string& rule, std::string message) {
    if (warned_.emplace(rule, message).second) warnings_.push_back({rule, std::move(message)});
  }

  void load_config() {
    AccessModel& m = result_.model;
    m.permissions.emplace(
        std::string(kLoginPermission),
        Permission{std::string(kLoginPermission), std::string(kLoginPermissionName)});
    for (const auto& p : config_.permissions) m.permissions[p.id] = p;
    for (const auto& r : config_.roles) {
      m.roles[r.id] = r;
      for (const auto& perm : r.permissions) {
        if (!m.permissions.contains(perm)) {
          warn("", fmt::format("role '{}' names unknown permission '{}'", r.id, perm));
        }
      }
    }
    for (const auto& i : config_.institutions) m.institutions[i.id] = i;
    for (const auto& c : config_.clusters) m.clusters[c.id] = c;
  }

  // Institutions defined by directory groups. Config institutions take precedence; among
  // groups defining the same id, the first in (source, DN) order wins.
  void apply_institution_rules() {
    for (const auto& rule : config_.institution_rules) {
      const CompiledMatcher matcher = compile(rule.group, rule.id, warnings_);
      bool matched = false;
      Captures captures;
      for (const auto& p : prepared_) {
        for (std::size_t g : p.group_order) {
          const DirectoryGroup& group = p.snapshot->groups[g];
          if (!matches(matcher, group, p.norm_dns[g], captures)) continue;
          matched = true;
          Institution inst;
          inst.id = expand(rule.institution_id, captures, &group);
          if (inst.id.empty()) {
            warn(rule.id, fmt::format("group '{}' gives an empty institution id", group.dn));
            continue;
          }
          inst.name = expand(rule.name, captures, &group);
          if (inst.name.empty()) inst.name = group.name.empty() ? inst.id : group.name;
          inst.mis_url = expand(rule.mis_url, captures, &group);
          inst.skip_second_factor = rule.skip_second_factor;
          result_.model.institutions.emplace(inst.id, std::move(inst));
        }
      }
      if (!matched && matcher.valid) {
        warn(rule.id, fmt::format("institution rule matched no group ({} '{}')",
                                  matcher_kind(rule.group), rule.group.value));
      }
    }
  }

  void check_clusters() {
    for (const auto& [id, cluster] : result_.model.clusters) {
      for (const auto& inst : cluster.institutions) {
        if (!result_.model.institutions.contains(inst)) {
          warn("", fmt::format("cluster '{}' names unknown institution '{}'", id, inst));
        }
      }
    }
  }

  // Expands and checks one rule's targets for one matched group.
  RuleHit hit_for(const MappingRule& rule, const Captures& captures) {
    RuleHit hit;
    hit.rule = &rule;
    const AccessModel& m = result_.model;
    for (const auto& t : rule.roles) {
      std::string role = expand(t, captures);
      if (m.roles.contains(role)) {
        hit.roles.push_back(std::move(role));
      } else {
        warn(rule.id, fmt::format("unknown role '{}' skipped", role));
      }
    }
    for (const auto& t : rule.institutions) {
      std::string inst = expand(t, captures);
      if (m.institutions.contains(inst)) {
        hit.associations.emplace_back(AssociationKind::Institution, std::move(inst));
      } else {
        warn(rule.id, fmt::format("unknown institution '{}' skipped", inst));
      }
    }
    for (const auto& t : rule.clusters) {
      std::string cluster = expand(t, captures);
      if (m.clusters.contains(cluster)) {
        hit.associations.emplace_back(AssociationKind::Cluster, std::move(cluster));
      } else {
        warn(rule.id, fmt::format("unknown cluster '{}' skipped", cluster));
      }
    }
    if (rule.all_institutions) hit.associations.emplace_back(AssociationKind::All, std::string());
    return hit;
  }

  void map_snapshot(const PreparedSnapshot& p) {
    const DirectorySnapshot& s = *p.snapshot;
    // Rules are evaluated once per group; users then inherit through the group tree.
    std::vector<std::vector<RuleHit>> hits(s.groups.size());
    Captures captures;
    bool any_hit = false;
    for (std::size_t g : p.group_order) {
      for (std::size_t r = 0; r < config_.rules.size(); ++r) {
        const MappingRule& rule = config_.rules[r];
        if (rule.source && *rule.source != s.source) continue;
        if (!matches(rules_[r], s.groups[g], p.norm_dns[g], captures)) continue;
        rule_matched_[r] = true;
        hits[g].push_back(hit_for(rule, captures));
        any_hit = true;
      }
    }

    GroupTree tree(s.groups, s.users);
    for (auto& cycle : tree.cycles()) {
      warn("", fmt::format("nested group cycle in source '{}': {}", s.source,
                           fmt::join(cycle, " -> ")));
      result_.cycles.push_back(std::move(cycle));
    }

    std::size_t without_id = 0;
    for (std::size_t u = 0; u < s.users.size(); ++u) {
      const DirectoryUser& du = s.users[u];
      if (du.id.empty()) {
        ++without_id;
        continue;
      }
      auto [it, inserted] = result_.model.users.try_emplace(du.id);
      User& user = it->second;
      // A stable id seen twice: the profile comes from the first source (by name), within
      // one source from the entry with the smaller (DN, username); disabled anywhere wins.
      const bool take_profile =
          inserted || (user.source == s.source &&
                       std::tie(du.dn, du.username) < std::tie(user.dn, user.username));
      if (take_profile) {
        user.id = du.id;
        user.username = du.username;
        user.display_name = du.display_name;
        user.email = du.email;
        user.dn = du.dn;
        user.source = s.source;
      }
      user.enabled = inserted ? du.enabled : user.enabled && du.enabled;
      if (!any_hit) continue;
      for (const auto& m : tree.memberships_of_user(u)) {
        const auto& group_hits = hits[m.group];
        if (group_hits.empty()) continue;
        Provenance via;
        via.kind = Provenance::Kind::Rule;
        via.group = s.groups[m.group].dn;
        via.source = s.source;
        via.chain.reserve(m.chain.size());
        for (std::size_t c : m.chain) via.chain.push_back(s.groups[c].dn);
        for (const RuleHit& hit : group_hits) {
          via.rule = hit.rule->id;
          for (const auto& role : hit.roles) user.roles.push_back(RoleGrant{role, via});
          for (const auto& [kind, target] : hit.associations) {
            user.associations.push_back(Association{kind, target, via});
          }
        }
      }
    }
    if (without_id > 0) {
      warn("", fmt::format("source '{}': {} user(s) without a stable id skipped", s.source,
                           without_id));
    }
  }

  const MappingConfig& config_;
  std::vector<PreparedSnapshot> prepared_;
  std::vector<CompiledMatcher> rules_;
  std::vector<bool> rule_matched_;
  MappingResult result_;
  std::vector<MappingWarning> warnings_;
  std::set<std::pair<std::string, std::string>> warned_;
};

}  // namespace

MappingResult map_directory(const std::vector<DirectorySnapshot>& snapshots,
                            const MappingConfig& config) {
  return Mapper(snapshots, config).run();
}

}  // namespace trustgate
