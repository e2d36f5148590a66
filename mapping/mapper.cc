#include "mapping/mapper.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "mapping/dn.h"
#include "mapping/group_pattern.h"
#include "mapping/group_tree.h"

namespace trustgate {
namespace {

using Captures = GroupPattern::Captures;

// A GroupMatcher prepared once: DNs normalised, ids lower-cased, patterns compiled.
struct CompiledMatcher {
  GroupMatcher::Kind kind = GroupMatcher::Kind::Dn;
  std::string key;  // normalised DN or lower-cased stable id; Pattern: the pattern's text
  std::shared_ptr<const GroupPattern> pattern;
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
      c.key = m.value;
      if (auto compiled = GroupPattern::compile(m.value); compiled) {
        c.pattern = std::make_shared<const GroupPattern>(std::move(*compiled));
      } else {
        c.valid = false;
        warnings.push_back({rule_id, fmt::format("invalid pattern '{}': {}; rule skipped",
                                                 m.value.substr(0, 80), compiled.error().message)});
      }
      break;
  }
  if (m.value.empty()) {
    c.valid = false;
    warnings.push_back({rule_id, "empty group matcher; rule skipped"});
  }
  return c;
}

// True when the group matches; fills `captures` for patterns. Pattern results are looked up
// in, or added to, `cache` when given (a regex match costs microseconds; at thousands of groups
// per pass that adds up).
bool matches(const CompiledMatcher& m, const DirectoryGroup& group, const std::string& norm_dn,
             Captures& captures, MappingMemo* cache = nullptr) {
  if (!m.valid) return false;
  switch (m.kind) {
    case GroupMatcher::Kind::Dn:
      return norm_dn == m.key;
    case GroupMatcher::Kind::StableId:
      return !group.id.empty() && iequals(group.id, m.key);
    case GroupMatcher::Kind::Pattern: {
      std::string key;
      if (cache != nullptr) {
        key.reserve(m.key.size() + 1 + group.dn.size());
        key.append(m.key).push_back('\0');
        key.append(group.dn);
        if (auto it = cache->pattern_matches.find(key); it != cache->pattern_matches.end()) {
          if (!it->second) return false;
          std::copy(it->second->begin(), it->second->end(), captures.begin());
          return true;
        }
      }
      const bool matched = m.pattern->full_match(group.dn, captures);
      if (cache != nullptr) {
        if (cache->pattern_matches.size() >= MappingMemo::kMaxPatternMatches) {
          cache->pattern_matches.clear();
        }
        std::optional<std::vector<std::string>> value;
        if (matched) value.emplace(captures.begin(), captures.end());
        cache->pattern_matches.emplace(std::move(key), std::move(value));
      }
      return matched;
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
  Mapper(const std::vector<DirectorySnapshot>& snapshots, const MappingConfig& config,
         MappingMemo* memo, unsigned max_threads, const UserSink& sink)
      : config_(config),
        memo_(memo),
        sink_(sink),
        max_threads_(max_threads != 0 ? max_threads
                                      : std::clamp(std::thread::hardware_concurrency(), 1u, 4u)) {
    for (const auto& s : snapshots) prepared_.push_back(prepare(s));
    report_oversized_dns();
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
    std::vector<GroupWork> work;
    work.reserve(prepared_.size());
    for (const auto& p : prepared_) work.push_back(match_rules(p));
    if (!map_incrementally(work)) {
      result_.model.users.clear();
      // Streamed: one snapshot (no merging across sources) and a pass that makes every user.
      // The id order it needs is sorted on another thread while the group tree is built.
      const bool may_stream = sink_ && prepared_.size() == 1;
      IdOrder order;
      {
        std::jthread sorter;
        if (may_stream) sorter = std::jthread([&] { order = id_order(*prepared_[0].snapshot); });
        for (std::size_t i = 0; i < prepared_.size(); ++i) build_tree(prepared_[i], work[i]);
      }
      const bool reuse = start_memo(work);
      if (may_stream && !reuse && order.distinct) {
        map_users_streamed(prepared_[0], work[0], order);
        result_.streamed = true;
      } else {
        for (std::size_t i = 0; i < prepared_.size(); ++i) map_users(prepared_[i], work[i], reuse);
      }
    }
    if (memo_) prune_memo();
    for (std::size_t i = 0; i < config_.rules.size(); ++i) {
      if (!rule_matched_[i] && rules_[i].valid) {
        const GroupMatcher& g = config_.rules[i].group;
        warn(config_.rules[i].id,
             fmt::format(
                 "rule matched no group ({} '{}'{})", matcher_kind(g), g.value,
                 g.kind == GroupMatcher::Kind::Pattern ? "; patterns match the whole DN" : ""));
      }
    }
    // Users mapped from one entry were canonicalized as they were made; merged ones now.
    for (const auto& id : merged_) canonicalize_grants(result_.model.users[id]);
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

  // A DN too long for any group_pattern (a hostile or broken entry) is never matched by one;
  // say so once per source, with the count, rather than once per group.
  void report_oversized_dns() {
    for (const auto& p : prepared_) {
      std::size_t oversized = 0;
      for (const auto& g : p.snapshot->groups)
        oversized += g.dn.size() > GroupPattern::kMaxSubjectBytes;
      if (oversized == 0) continue;
      warn("", fmt::format("source '{}': {} group(s) with a DN longer than {} bytes; no "
                           "group_pattern rule matches them",
                           p.snapshot->source, oversized, GroupPattern::kMaxSubjectBytes));
    }
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
          if (!matches(matcher, group, p.norm_dns[g], captures, memo_)) continue;
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

  // A snapshot's groups with the rules they match, and (when built) its group tree.
  struct GroupWork {
    std::vector<std::vector<RuleHit>> hits;  // by group index
    bool any_hit = false;
    std::unique_ptr<GroupTree> tree;

    // Provenances made per nesting chain (group indices, the user's direct group first): one
    // per rule hit of the chain's last group, shared by every user reached that way. A cache of
    // a pure function of (chain, hits): `mutable`, and one per mapping thread.
    using ProvenanceCache = std::map<std::vector<std::size_t>, std::vector<SharedProvenance>>;

    // By group index: whether the group, or a group containing it at any depth, has a rule hit.
    // Only such groups give grants: a walk up from the others never reaches one that does.
    std::vector<char> leads_to_hit;

    // Marks leads_to_hit: down from every group with hits, through the groups each contains.
    void mark_groups_leading_to_hits() {
      const auto& parents = tree->parents();
      std::vector<std::vector<std::size_t>> children(parents.size());
      for (std::size_t g = 0; g < parents.size(); ++g) {
        for (std::size_t parent : parents[g]) children[parent].push_back(g);
      }
      leads_to_hit.assign(parents.size(), 0);
      std::vector<std::size_t> todo;
      for (std::size_t g = 0; g < hits.size(); ++g) {
        if (!hits[g].empty()) {
          leads_to_hit[g] = 1;
          todo.push_back(g);
        }
      }
      while (!todo.empty()) {
        const std::size_t g = todo.back();
        todo.pop_back();
        for (std::size_t child : children[g]) {
          if (leads_to_hit[child]) continue;
          leads_to_hit[child] = 1;
          todo.push_back(child);
        }
      }
    }

    // A user's grants, canonical, by the user's direct groups that lead to a hit (in the
    // tree's order): a pure function of them, as for provenances (the walk up from the others
    // reaches no group of these walks, so it changes no chain). Most users share those groups
    // with many others, so most users' grants are a copy from here instead of a walk.
    struct DirectGroupsHash {
      std::size_t operator()(const std::vector<std::size_t>& groups) const {
        std::size_t h = groups.size();
        for (std::size_t g : groups) h = h * 1099511628211u ^ g;
        return h;
      }
    };
    struct Grants {
      std::vector<RoleGrant> roles;
      std::vector<Association> associations;
    };
    using GrantsCache = std::unordered_map<std::vector<std::size_t>, Grants, DirectGroupsHash>;
    // Bounds a cache's memory for a directory where few users share their groups.
    static constexpr std::size_t kMaxCachedGrants = 16384;

    struct ThreadCache {
      ProvenanceCache provenances;
      GrantsCache grants;
      std::vector<std::size_t> key;  // reused
    };
    mutable ThreadCache thread_cache;  // the mapper's own thread

    static const std::vector<SharedProvenance>& provenances(const DirectorySnapshot& s,
                                                            const std::vector<std::size_t>& chain,
                                                            const std::vector<RuleHit>& group_hits,
                                                            ProvenanceCache& cache) {
      auto [it, inserted] = cache.try_emplace(chain);
      if (inserted) {
        Provenance via;
        via.kind = Provenance::Kind::Rule;
        via.group = s.groups[chain.back()].dn;
        via.source = s.source;
        via.chain.reserve(chain.size());
        for (std::size_t c : chain) via.chain.push_back(s.groups[c].dn);
        it->second.reserve(group_hits.size());
        for (const RuleHit& hit : group_hits) {
          via.rule = hit.rule->id;
          it->second.emplace_back(via);
        }
      }
      return it->second;
    }
  };

  GroupWork match_rules(const PreparedSnapshot& p) {
    const DirectorySnapshot& s = *p.snapshot;
    GroupWork w;
    // Rules are evaluated once per group; users then inherit through the group tree.
    w.hits.resize(s.groups.size());
    Captures captures;
    for (std::size_t g : p.group_order) {
      for (std::size_t r = 0; r < config_.rules.size(); ++r) {
        const MappingRule& rule = config_.rules[r];
        if (rule.source && *rule.source != s.source) continue;
        if (!matches(rules_[r], s.groups[g], p.norm_dns[g], captures, memo_)) continue;
        rule_matched_[r] = true;
        w.hits[g].push_back(hit_for(rule, captures));
        w.any_hit = true;
      }
    }
    return w;
  }

  void report_cycle(const std::string& source, std::vector<std::string> cycle) {
    warn("",
         fmt::format("nested group cycle in source '{}': {}", source, fmt::join(cycle, " -> ")));
    result_.cycles.push_back(std::move(cycle));
  }

  // Resolves a snapshot's groups and users into a tree, and remembers what a later pass needs
  // to go without one.
  void build_tree(const PreparedSnapshot& p, GroupWork& w) {
    const DirectorySnapshot& s = *p.snapshot;
    w.tree = std::make_unique<GroupTree>(s.groups, s.users, max_threads_);
    w.mark_groups_leading_to_hits();
    auto cycles = w.tree->cycles();
    if (memo_) {
      MappingMemo::SourceGroups& sg = memo_->groups[s.source];
      sg.rank = w.tree->rank();
      sg.member_dns.clear();
      sg.member_uids.clear();
      for (const auto& g : s.groups) {
        sg.member_dns.push_back(g.member_dns);
        sg.member_uids.push_back(g.member_uids);
      }
      sg.cycles = cycles;
    }
    for (auto& cycle : cycles) report_cycle(s.source, std::move(cycle));
  }

  // Records this pass's group structure in the memo; true when it is the memo's (users may be
  // reused). When it is not, the memo's users are forgotten.
  bool start_memo(const std::vector<GroupWork>& work) {
    if (!memo_) return false;
    std::map<std::string, MappingMemo::GroupStructure> now;
    for (std::size_t i = 0; i < prepared_.size(); ++i) {
      const DirectorySnapshot& s = *prepared_[i].snapshot;
      MappingMemo::GroupStructure& st = now[s.source];
      st.groups.reserve(s.groups.size());
      for (const auto& g : s.groups) st.groups.push_back(group_key(g));
      st.parents = work[i].tree->parents();
    }
    memo_->reused = memo_->mapped = 0;
    memo_->incremental = false;
    const bool same = !memo_->structure.empty() && now == memo_->structure;
    if (!same) {
      memo_->users.clear();
      memo_->structure = std::move(now);
    }
    return same;
  }

  // Drops memo entries of users no longer seen, once they are a noticeable share.
  void prune_memo() {
    if (memo_->users.size() <= result_.model.users.size() + result_.model.users.size() / 8) return;
    std::erase_if(memo_->users,
                  [&](const auto& e) { return !result_.model.users.contains(e.first); });
  }

  // Adds the grants of one directory entry's groups to `user`. `cache`: the calling thread's
  // provenance cache (nullptr: the group work's own, for the mapper's thread).
  void add_grants(User& user, const DirectorySnapshot& s, const GroupWork& w, std::size_t u,
                  GroupWork::ProvenanceCache* cache = nullptr) const {
    if (!w.any_hit) return;
    add_grants(user, s, w, w.tree->memberships_of_user(u), cache);
  }

  void add_grants(User& user, const DirectorySnapshot& s, const GroupWork& w,
                  const std::vector<GroupTree::Membership>& memberships,
                  GroupWork::ProvenanceCache* cache = nullptr) const {
    if (!w.any_hit) return;
    GroupWork::ProvenanceCache& c = cache != nullptr ? *cache : w.thread_cache.provenances;
    for (const auto& m : memberships) {
      const auto& group_hits = w.hits[m.group];
      if (group_hits.empty()) continue;
      const auto& vias = GroupWork::provenances(s, m.chain, group_hits, c);
      for (std::size_t h = 0; h < group_hits.size(); ++h) {
        const RuleHit& hit = group_hits[h];
        for (const auto& role : hit.roles) user.roles.push_back(RoleGrant{role, vias[h]});
        for (const auto& [kind, target] : hit.associations) {
          user.associations.push_back(Association{kind, target, vias[h]});
        }
      }
    }
  }

  static std::string group_key(const DirectoryGroup& g) {
    std::string key;
    for (const std::string* f : {&g.dn, &g.id, &g.name, &g.description}) {
      key += *f;
      key.push_back('\0');
    }
    return key;
  }

  // Values in exactly one of `a` and `b` (as multisets).
  static std::vector<std::string_view> changed_values(const std::vector<std::string>& a,
                                                      const std::vector<std::string>& b) {
    std::vector<std::string_view> x(a.begin(), a.end()), y(b.begin(), b.end()), out;
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    std::set_symmetric_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(out));
    return out;
  }

  static constexpr std::size_t kMaxIncrementalUsers = 1000;

  // The pass without a group tree, when every source's groups are as in the memo but for their
  // user members: a user that no changed member value names and whose entry is unchanged has
  // the same direct groups, hence the same User; only the others (at most
  // kMaxIncrementalUsers) are mapped, their direct groups found by one scan of the member
  // values. Anything else (nesting or group changes, an id in two entries, many users touched)
  // returns false having changed nothing but result_.model.users, and the full pass runs.
  bool map_incrementally(const std::vector<GroupWork>& work) {
    if (!memo_ || memo_->structure.size() != prepared_.size() ||
        memo_->groups.size() != prepared_.size()) {
      return false;
    }
    struct Pending {
      std::size_t source, user;
      std::vector<std::size_t> direct;
    };
    std::vector<Pending> pending;
    std::vector<std::size_t> without_id(prepared_.size(), 0);
    std::vector<std::vector<std::size_t>> changed_groups(prepared_.size());
    std::vector<std::unordered_set<std::string_view>> group_norms(prepared_.size());
    UserMap& users = result_.model.users;
    std::size_t reused = 0;
    std::string key;
    for (std::size_t i = 0; i < prepared_.size(); ++i) {
      const PreparedSnapshot& p = prepared_[i];
      const DirectorySnapshot& s = *p.snapshot;
      auto st = memo_->structure.find(s.source);
      auto sg = memo_->groups.find(s.source);
      if (st == memo_->structure.end() || sg == memo_->groups.end()) return false;
      if (st->second.groups.size() != s.groups.size() ||
          sg->second.member_dns.size() != s.groups.size()) {
        return false;
      }
      group_norms[i].insert(p.norm_dns.begin(), p.norm_dns.end());
      std::unordered_set<std::string> named_dns, named_uids;
      for (std::size_t g = 0; g < s.groups.size(); ++g) {
        const DirectoryGroup& group = s.groups[g];
        if (group_key(group) != st->second.groups[g]) return false;
        const bool dns_changed = group.member_dns != sg->second.member_dns[g];
        const bool uids_changed = group.member_uids != sg->second.member_uids[g];
        if (dns_changed || uids_changed) changed_groups[i].push_back(g);
        if (dns_changed) {
          for (std::string_view v : changed_values(sg->second.member_dns[g], group.member_dns)) {
            std::string n = normalize_dn(v);
            if (group_norms[i].contains(n)) return false;  // the nesting changed
            named_dns.insert(std::move(n));
          }
        }
        if (uids_changed) {
          for (std::string_view v : changed_values(sg->second.member_uids[g], group.member_uids))
            named_uids.insert(to_lower(v));
        }
      }
      for (std::size_t u = 0; u < s.users.size(); ++u) {
        const DirectoryUser& du = s.users[u];
        if (du.id.empty()) {
          ++without_id[i];
          continue;
        }
        bool named = false;
        if (!named_dns.empty() && !du.dn.empty()) {
          normalize_dn_into(du.dn, key);
          named = named_dns.contains(key);
        }
        if (!named && !named_uids.empty() && !du.username.empty()) {
          named = named_uids.contains(to_lower(du.username));
        }
        if (!named) {
          auto it = memo_->users.find(du.id);
          if (it != memo_->users.end() && it->second.source == s.source && it->second.entry == du) {
            if (!users.put_new(du.id, it->second.user)) return false;  // an id seen twice
            ++reused;
            continue;
          }
        }
        pending.push_back(Pending{i, u, {}});
        if (pending.size() > kMaxIncrementalUsers) return false;
      }
    }
    // Direct groups of the pending users: one scan of each source's member values, resolved as
    // GroupTree does (a value naming a group is nesting, not membership).
    for (std::size_t i = 0; i < prepared_.size(); ++i) {
      const DirectorySnapshot& s = *prepared_[i].snapshot;
      std::unordered_map<std::string, std::vector<std::size_t>> by_dn, by_uid;
      for (std::size_t k = 0; k < pending.size(); ++k) {
        if (pending[k].source != i) continue;
        const DirectoryUser& du = s.users[pending[k].user];
        if (!du.dn.empty()) by_dn[normalize_dn(du.dn)].push_back(k);
        if (!du.username.empty()) by_uid[to_lower(du.username)].push_back(k);
      }
      if (by_dn.empty() && by_uid.empty()) continue;
      for (std::size_t g = 0; g < s.groups.size(); ++g) {
        for (const std::string& v : s.groups[g].member_dns) {
          normalize_dn_into(v, key);
          if (group_norms[i].contains(key)) continue;
          if (auto it = by_dn.find(key); it != by_dn.end()) {
            for (std::size_t k : it->second) pending[k].direct.push_back(g);
          }
        }
        for (const std::string& v : s.groups[g].member_uids) {
          if (auto it = by_uid.find(to_lower(v)); it != by_uid.end()) {
            for (std::size_t k : it->second) pending[k].direct.push_back(g);
          }
        }
      }
      const auto& rank = memo_->groups[s.source].rank;
      for (auto& pd : pending) {
        if (pd.source != i) continue;
        std::sort(pd.direct.begin(), pd.direct.end(),
                  [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
        pd.direct.erase(std::unique(pd.direct.begin(), pd.direct.end()), pd.direct.end());
      }
    }
    std::vector<UserMap::Ptr> made;
    made.reserve(pending.size());
    for (const auto& pd : pending) {
      const DirectorySnapshot& s = *prepared_[pd.source].snapshot;
      const DirectoryUser& du = s.users[pd.user];
      if (users.contains(du.id)) return false;  // an id seen twice: the full pass merges
      auto user = std::make_shared<User>();
      take_profile(*user, du, s.source);
      user->enabled = du.enabled;
      add_grants(*user, s, work[pd.source],
                 GroupTree::memberships_from(pd.direct, memo_->structure[s.source].parents));
      canonicalize_grants(*user);
      users.put(du.id, user);
      made.push_back(std::move(user));
    }
    // Done: report as the full pass would, and bring the memo up to date.
    for (std::size_t i = 0; i < prepared_.size(); ++i) {
      const DirectorySnapshot& s = *prepared_[i].snapshot;
      for (auto cycle : memo_->groups[s.source].cycles) report_cycle(s.source, std::move(cycle));
    }
    for (std::size_t i = 0; i < prepared_.size(); ++i) {
      const DirectorySnapshot& s = *prepared_[i].snapshot;
      if (without_id[i] > 0) {
        warn("", fmt::format("source '{}': {} user(s) without a stable id skipped", s.source,
                             without_id[i]));
      }
      MappingMemo::SourceGroups& sg = memo_->groups[s.source];
      for (std::size_t g : changed_groups[i]) {
        sg.member_dns[g] = s.groups[g].member_dns;
        sg.member_uids[g] = s.groups[g].member_uids;
      }
    }
    for (std::size_t k = 0; k < pending.size(); ++k) {
      const auto& pd = pending[k];
      const DirectorySnapshot& s = *prepared_[pd.source].snapshot;
      const DirectoryUser& du = s.users[pd.user];
      memo_->users.insert_or_assign(
          du.id, MappingMemo::UserEntry{s.source, du, std::move(pending[k].direct), made[k]});
    }
    memo_->reused = reused;
    memo_->mapped = pending.size();
    memo_->incremental = true;
    return true;
  }

  static void take_profile(User& user, const DirectoryUser& du, const std::string& source) {
    user.id = du.id;
    user.username = du.username;
    user.display_name = du.display_name;
    user.email = du.email;
    user.dn = du.dn;
    user.source = source;
  }

  // True when the memo holds this entry's user as made from the same entry and direct groups.
  bool reusable(const DirectorySnapshot& s, const GroupWork& w, std::size_t u) const {
    const DirectoryUser& du = s.users[u];
    auto it = memo_->users.find(du.id);
    return it != memo_->users.end() && it->second.source == s.source && it->second.entry == du &&
           it->second.direct_groups == w.tree->direct_groups(u);
  }

  // One entry's user: profile and grants, canonical. A pure function of the entry and the
  // group work (given the thread's own provenance cache).
  std::shared_ptr<User> make_user(const DirectorySnapshot& s, const GroupWork& w, std::size_t u,
                                  GroupWork::ThreadCache* cache) const {
    const DirectoryUser& du = s.users[u];
    auto user = std::make_shared<User>();
    take_profile(*user, du, s.source);
    user->enabled = du.enabled;
    if (!w.any_hit) return user;
    GroupWork::ThreadCache& c = cache != nullptr ? *cache : w.thread_cache;
    c.key.clear();
    for (std::size_t g : w.tree->direct_groups(u)) {
      if (w.leads_to_hit[g]) c.key.push_back(g);
    }
    if (auto it = c.grants.find(c.key); it != c.grants.end()) {
      user->roles = it->second.roles;
      user->associations = it->second.associations;
      return user;
    }
    add_grants(*user, s, w, u, &c.provenances);
    canonicalize_grants(*user);
    if (c.grants.size() < GroupWork::kMaxCachedGrants)
      c.grants.emplace(c.key, GroupWork::Grants{user->roles, user->associations});
    return user;
  }

  // Below this many users per thread, threads cost more than they save.
  static constexpr std::size_t kUsersPerThread = 16384;

  // The users of the entries map_users will map afresh (not reused from the memo), made on
  // several threads when there are many: each thread maps a contiguous slice with its own
  // provenance cache. nullptr for entries without an id or reusable ones. The result is the
  // same as making them one by one (provenances are equal values, not always one object).
  std::vector<std::shared_ptr<User>> make_users(const DirectorySnapshot& s, const GroupWork& w,
                                                bool reuse) const {
    const std::size_t n = s.users.size();
    std::vector<std::shared_ptr<User>> made(n);
    auto make_slice = [&](std::size_t begin, std::size_t end, GroupWork::ThreadCache* cache) {
      for (std::size_t u = begin; u < end; ++u) {
        if (s.users[u].id.empty() || (reuse && reusable(s, w, u))) continue;
        made[u] = make_user(s, w, u, cache);
      }
    };
    const unsigned threads =
        static_cast<unsigned>(std::min<std::size_t>(max_threads_, n / kUsersPerThread));
    if (threads <= 1) {
      make_slice(0, n, nullptr);
      return made;
    }
    std::vector<GroupWork::ThreadCache> caches(threads);
    std::vector<std::exception_ptr> errors(threads);
    std::vector<std::thread> workers;
    const std::size_t slice = (n + threads - 1) / threads;
    for (unsigned t = 1; t < threads; ++t) {
      workers.emplace_back([&, t] {
        try {
          make_slice(std::min(n, t * slice), std::min(n, (t + 1) * slice), &caches[t]);
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    }
    try {
      make_slice(0, std::min(n, slice), &caches[0]);
    } catch (...) {
      errors[0] = std::current_exception();
    }
    for (auto& worker : workers) worker.join();
    for (const auto& e : errors) {
      if (e) std::rethrow_exception(e);
    }
    return made;
  }

  void map_users(const PreparedSnapshot& p, const GroupWork& w, bool reuse) {
    const DirectorySnapshot& s = *p.snapshot;
    UserMap& users = result_.model.users;
    std::vector<std::shared_ptr<User>> made = make_users(s, w, reuse);
    std::size_t without_id = 0;
    for (std::size_t u = 0; u < s.users.size(); ++u) {
      const DirectoryUser& du = s.users[u];
      if (du.id.empty()) {
        ++without_id;
        continue;
      }
      if (!made[u] && reuse && users.put_new(du.id, memo_->users.at(du.id).user)) {
        ++memo_->reused;  // make_users left it: reusable
        continue;
      }
      if (!users.contains(du.id)) {
        std::shared_ptr<User> user = made[u] ? std::move(made[u]) : make_user(s, w, u, nullptr);
        users.put(du.id, user);
        if (memo_) {
          memo_->users.insert_or_assign(
              du.id, MappingMemo::UserEntry{s.source, du, w.tree->direct_groups(u), user});
          ++memo_->mapped;
        }
        continue;
      }
      // A stable id seen twice: the profile comes from the first source (by name), within
      // one source from the entry with the smaller (DN, username); disabled anywhere wins.
      User& user = users[du.id];  // cloned when shared (the memo keeps the first entry's)
      if (user.source == s.source &&
          std::tie(du.dn, du.username) < std::tie(user.dn, user.username)) {
        take_profile(user, du, s.source);
      }
      user.enabled = user.enabled && du.enabled;
      add_grants(user, s, w, u);
      merged_.insert(du.id);
    }
    if (without_id > 0) {
      warn("", fmt::format("source '{}': {} user(s) without a stable id skipped", s.source,
                           without_id));
    }
  }

  // Users mapped in chunks of this many, in id order, for a sink.
  static constexpr std::size_t kStreamChunk = 2048;

  // A snapshot's users with an id, by id.
  struct IdOrder {
    std::vector<std::size_t> users;  // indices into the snapshot's users
    std::size_t without_id = 0;
    bool distinct = false;  // no id twice
  };
  static IdOrder id_order(const DirectorySnapshot& s) {
    IdOrder o;
    o.users.reserve(s.users.size());
    for (std::size_t u = 0; u < s.users.size(); ++u) {
      if (s.users[u].id.empty()) {
        ++o.without_id;
      } else {
        o.users.push_back(u);
      }
    }
    // By the id's first 8 bytes as one big-endian number first (std::string orders bytes as
    // unsigned, and a shorter id is padded with zeros, which keeps that order), then by the
    // whole id among equal prefixes: most comparisons then touch two integers side by side
    // instead of two strings in two entries (100k entryUUIDs, standalone: 13 ms, not 44 ms).
    struct Keyed {
      std::uint64_t prefix;
      std::size_t user;
    };
    std::vector<Keyed> keyed;
    keyed.reserve(o.users.size());
    for (std::size_t u : o.users) {
      const std::string& id = s.users[u].id;
      std::uint64_t prefix = 0;
      for (std::size_t i = 0; i < 8; ++i) {
        prefix = prefix << 8 | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0u);
      }
      keyed.push_back({prefix, u});
    }
    std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
      if (a.prefix != b.prefix) return a.prefix < b.prefix;
      return s.users[a.user].id < s.users[b.user].id;
    });
    for (std::size_t i = 0; i < keyed.size(); ++i) o.users[i] = keyed[i].user;
    o.distinct =
        std::adjacent_find(o.users.begin(), o.users.end(), [&](std::size_t a, std::size_t b) {
          return s.users[a].id == s.users[b].id;
        }) == o.users.end();
    return o;
  }

  // map_users for one snapshot whose users all have distinct ids (`id` is their id order),
  // delivering them to sink_ in id order while the next ones are made: worker threads make
  // chunks, this thread hands each to the sink as soon as it and every chunk before it are made
  // (the sink is typically writing them to the store meanwhile). Entries of one id are merged
  // by map_users instead.
  void map_users_streamed(const PreparedSnapshot& p, const GroupWork& w, const IdOrder& id) {
    const DirectorySnapshot& s = *p.snapshot;
    const std::vector<std::size_t>& order = id.users;
    const std::size_t without_id = id.without_id;

    const std::size_t chunks = (order.size() + kStreamChunk - 1) / kStreamChunk;
    std::vector<std::vector<UserMap::Ptr>> made(chunks);
    auto make_chunk = [&](std::size_t c, GroupWork::ThreadCache* cache) {
      const std::size_t end = std::min(order.size(), (c + 1) * kStreamChunk);
      made[c].reserve(end - c * kStreamChunk);
      for (std::size_t i = c * kStreamChunk; i < end; ++i) {
        made[c].push_back(make_user(s, w, order[i], cache));
      }
    };
    // To the sink, then into the model (in increasing id order: appended) and the memo; the
    // chunk itself is freed at once.
    UserMap& users = result_.model.users;
    auto deliver = [&](std::size_t c) {
      sink_(made[c]);
      std::size_t i = c * kStreamChunk;
      for (const auto& user : made[c]) {
        const std::size_t u = order[i++];
        users.put(s.users[u].id, user);
        if (memo_) {
          memo_->users.insert_or_assign(
              s.users[u].id,
              MappingMemo::UserEntry{s.source, s.users[u], w.tree->direct_groups(u), user});
          ++memo_->mapped;
        }
      }
      std::vector<UserMap::Ptr>().swap(made[c]);
    };
    // This thread is busy delivering (writing): one worker fewer than the machine's threads, so
    // that the writer, the slowest step, keeps a core to itself.
    const unsigned threads = static_cast<unsigned>(
        std::min<std::size_t>(std::max(1u, max_threads_ - 1), order.size() / kUsersPerThread));
    if (threads == 0) {  // a small directory: make and deliver in turn, on this thread
      for (std::size_t c = 0; c < chunks; ++c) {
        make_chunk(c, nullptr);
        deliver(c);
      }
    } else {
      deliver_while_making(chunks, threads, make_chunk, deliver);
    }
    if (without_id > 0) {
      warn("", fmt::format("source '{}': {} user(s) without a stable id skipped", s.source,
                           without_id));
    }
  }

  // `threads` workers make chunks 0, 1, ... (each claims the next one not taken, with its own
  // provenance cache); this thread delivers chunk c once chunks 0..c are made. A throw in a
  // worker or in deliver stops the workers and is rethrown here after they have joined.
  template <typename MakeChunk, typename Deliver>
  void deliver_while_making(std::size_t chunks, unsigned threads, MakeChunk& make_chunk,
                            Deliver& deliver) {
    std::mutex mutex;
    std::condition_variable made_one;
    std::vector<bool> ready(chunks, false);  // GUARDED_BY(mutex)
    std::exception_ptr failure;              // GUARDED_BY(mutex)
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::vector<GroupWork::ThreadCache> caches(threads);
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        try {
          for (std::size_t c; !stop && (c = next.fetch_add(1)) < chunks;) {
            make_chunk(c, &caches[t]);
            std::lock_guard lock(mutex);
            ready[c] = true;
            made_one.notify_all();
          }
        } catch (...) {
          std::lock_guard lock(mutex);
          if (!failure) failure = std::current_exception();
          stop = true;
          made_one.notify_all();
        }
      });
    }
    try {
      for (std::size_t c = 0; c < chunks; ++c) {
        {
          std::unique_lock lock(mutex);
          made_one.wait(lock, [&] { return ready[c] || failure; });
          if (failure) break;
        }
        deliver(c);
      }
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
    for (auto& worker : workers) worker.join();
    if (failure) std::rethrow_exception(failure);
  }

  const MappingConfig& config_;
  MappingMemo* memo_;             // nullable
  const UserSink& sink_;          // may be empty
  unsigned max_threads_;          // >= 1
  std::set<std::string> merged_;  // ids made from more than one entry
  std::vector<PreparedSnapshot> prepared_;
  std::vector<CompiledMatcher> rules_;
  std::vector<bool> rule_matched_;
  MappingResult result_;
  std::vector<MappingWarning> warnings_;
  std::set<std::pair<std::string, std::string>> warned_;
};

}  // namespace

MappingResult map_directory(const std::vector<DirectorySnapshot>& snapshots,
                            const MappingConfig& config, MappingMemo* memo, unsigned max_threads,
                            const UserSink& sink) {
  return Mapper(snapshots, config, memo, max_threads, sink).run();
}

}  // namespace trustgate
