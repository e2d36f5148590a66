#include "mapping/incremental_pass.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mapping/dn.h"
#include "mapping/group_tree.h"
#include "mapping/user_from_entry.h"

namespace trustgate {
namespace {

constexpr std::size_t kMaxIncrementalUsers = 1000;

// Values in exactly one of `a` and `b` (as multisets).
std::vector<std::string_view> changed_values(const std::vector<std::string>& a,
                                             const std::vector<std::string>& b) {
  std::vector<std::string_view> x(a.begin(), a.end()), y(b.begin(), b.end()), out;
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  std::set_symmetric_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(out));
  return out;
}

// The steps of map_incrementally, in order; each returns false when the full pass must run.
class IncrementalPass {
 public:
  explicit IncrementalPass(MappingPass& pass)
      : pass_(pass),
        memo_(*pass.memo),
        prepared_(pass.prepared),
        users_(pass.result.model.users),
        without_id_(prepared_.size(), 0),
        changed_groups_(prepared_.size()),
        group_norms_(prepared_.size()) {}

  // Takes every unchanged user from the memo and lists the others as pending.
  bool take_unchanged_users() {
    for (std::size_t i = 0; i < prepared_.size(); ++i) {
      std::unordered_set<std::string> named_dns, named_uids;
      if (!find_changed_members(i, named_dns, named_uids)) return false;
      if (!take_unchanged_users(i, named_dns, named_uids)) return false;
    }
    return true;
  }

  // Direct groups of the pending users: one scan of each source's member values, resolved as
  // GroupTree does (a value naming a group is nesting, not membership).
  void find_direct_groups() {
    for (std::size_t i = 0; i < prepared_.size(); ++i) {
      const DirectorySnapshot& s = *prepared_[i].snapshot;
      std::unordered_map<std::string, std::vector<std::size_t>> by_dn, by_uid;
      for (std::size_t k = 0; k < pending_.size(); ++k) {
        if (pending_[k].source != i) continue;
        const DirectoryUser& du = s.users[pending_[k].user];
        if (!du.dn.empty()) by_dn[normalize_dn(du.dn)].push_back(k);
        if (!du.username.empty()) by_uid[to_lower(du.username)].push_back(k);
      }
      if (by_dn.empty() && by_uid.empty()) continue;
      for (std::size_t g = 0; g < s.groups.size(); ++g) {
        for (const std::string& v : s.groups[g].member_dns) {
          normalize_dn_into(v, key_);
          if (group_norms_[i].contains(key_)) continue;
          if (auto it = by_dn.find(key_); it != by_dn.end()) {
            for (std::size_t k : it->second) pending_[k].direct.push_back(g);
          }
        }
        for (const std::string& v : s.groups[g].member_uids) {
          if (auto it = by_uid.find(to_lower(v)); it != by_uid.end()) {
            for (std::size_t k : it->second) pending_[k].direct.push_back(g);
          }
        }
      }
      const auto& rank = memo_.groups[s.source].rank;
      for (auto& pd : pending_) {
        if (pd.source != i) continue;
        std::sort(pd.direct.begin(), pd.direct.end(),
                  [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
        pd.direct.erase(std::unique(pd.direct.begin(), pd.direct.end()), pd.direct.end());
      }
    }
  }

  // Maps the pending users from their direct groups over the memo's nesting graph.
  bool make_pending_users() {
    made_.reserve(pending_.size());
    std::vector<ProvenanceCache> provenances(prepared_.size());
    for (const auto& pd : pending_) {
      const DirectorySnapshot& s = *prepared_[pd.source].snapshot;
      const DirectoryUser& du = s.users[pd.user];
      if (users_.contains(du.id)) return false;  // an id seen twice: the full pass merges
      auto user = std::make_shared<User>();
      take_profile(*user, du, s.source);
      user->enabled = du.enabled;
      add_grants(*user, s, pass_.hits[pd.source],
                 GroupTree::memberships_from(pd.direct, memo_.structure[s.source].parents),
                 provenances[pd.source]);
      canonicalize_grants(*user);
      users_.put(du.id, user);
      made_.push_back(std::move(user));
    }
    return true;
  }

  // Done: reports as the full pass would, and brings the memo up to date.
  void commit() {
    for (std::size_t i = 0; i < prepared_.size(); ++i) {
      const DirectorySnapshot& s = *prepared_[i].snapshot;
      for (auto cycle : memo_.groups[s.source].cycles) {
        pass_.report_cycle(s.source, std::move(cycle));
      }
    }
    for (std::size_t i = 0; i < prepared_.size(); ++i) {
      const DirectorySnapshot& s = *prepared_[i].snapshot;
      pass_.report_without_id(s.source, without_id_[i]);
      MappingMemo::SourceGroups& sg = memo_.groups[s.source];
      for (std::size_t g : changed_groups_[i]) {
        sg.member_dns[g] = s.groups[g].member_dns;
        sg.member_uids[g] = s.groups[g].member_uids;
      }
    }
    for (std::size_t k = 0; k < pending_.size(); ++k) {
      const auto& pd = pending_[k];
      const DirectorySnapshot& s = *prepared_[pd.source].snapshot;
      const DirectoryUser& du = s.users[pd.user];
      memo_.users.insert_or_assign(
          du.id, MappingMemo::UserEntry{s.source, du, std::move(pending_[k].direct), made_[k]});
    }
    memo_.reused = reused_;
    memo_.mapped = pending_.size();
    memo_.incremental = true;
  }

 private:
  // Source i's groups against the memo's: false when anything but user members changed.
  // Collects the member values added or removed (normalised DNs, lower-cased uids).
  bool find_changed_members(std::size_t i, std::unordered_set<std::string>& named_dns,
                            std::unordered_set<std::string>& named_uids) {
    const PreparedSnapshot& p = prepared_[i];
    const DirectorySnapshot& s = *p.snapshot;
    auto st = memo_.structure.find(s.source);
    auto sg = memo_.groups.find(s.source);
    if (st == memo_.structure.end() || sg == memo_.groups.end()) return false;
    if (st->second.groups.size() != s.groups.size() ||
        sg->second.member_dns.size() != s.groups.size()) {
      return false;
    }
    group_norms_[i].insert(p.norm_dns.begin(), p.norm_dns.end());
    for (std::size_t g = 0; g < s.groups.size(); ++g) {
      const DirectoryGroup& group = s.groups[g];
      if (MappingMemo::GroupStructure::key_of(group) != st->second.groups[g]) return false;
      const bool dns_changed = group.member_dns != sg->second.member_dns[g];
      const bool uids_changed = group.member_uids != sg->second.member_uids[g];
      if (dns_changed || uids_changed) changed_groups_[i].push_back(g);
      if (dns_changed) {
        for (std::string_view v : changed_values(sg->second.member_dns[g], group.member_dns)) {
          std::string n = normalize_dn(v);
          if (group_norms_[i].contains(n)) return false;  // the nesting changed
          named_dns.insert(std::move(n));
        }
      }
      if (uids_changed) {
        for (std::string_view v : changed_values(sg->second.member_uids[g], group.member_uids))
          named_uids.insert(to_lower(v));
      }
    }
    return true;
  }

  // Source i's users: those no changed value names, with an unchanged entry, from the memo;
  // the others pending.
  bool take_unchanged_users(std::size_t i, const std::unordered_set<std::string>& named_dns,
                            const std::unordered_set<std::string>& named_uids) {
    const DirectorySnapshot& s = *prepared_[i].snapshot;
    for (std::size_t u = 0; u < s.users.size(); ++u) {
      const DirectoryUser& du = s.users[u];
      if (du.id.empty()) {
        ++without_id_[i];
        continue;
      }
      bool named = false;
      if (!named_dns.empty() && !du.dn.empty()) {
        normalize_dn_into(du.dn, key_);
        named = named_dns.contains(key_);
      }
      if (!named && !named_uids.empty() && !du.username.empty()) {
        named = named_uids.contains(to_lower(du.username));
      }
      if (!named) {
        auto it = memo_.users.find(du.id);
        if (it != memo_.users.end() && it->second.source == s.source && it->second.entry == du) {
          if (!users_.put_new(du.id, it->second.user)) return false;  // an id seen twice
          ++reused_;
          continue;
        }
      }
      pending_.push_back(Pending{i, u, {}});
      if (pending_.size() > kMaxIncrementalUsers) return false;
    }
    return true;
  }

  struct Pending {
    std::size_t source, user;
    std::vector<std::size_t> direct;
  };

  MappingPass& pass_;
  MappingMemo& memo_;
  const std::vector<PreparedSnapshot>& prepared_;
  UserMap& users_;
  std::vector<Pending> pending_;
  std::vector<UserMap::Ptr> made_;                                 // by pending index
  std::vector<std::size_t> without_id_;                            // by source
  std::vector<std::vector<std::size_t>> changed_groups_;           // by source
  std::vector<std::unordered_set<std::string_view>> group_norms_;  // by source
  std::size_t reused_ = 0;
  std::string key_;  // reused
};

}  // namespace

bool map_incrementally(MappingPass& pass) {
  if (!pass.memo || pass.memo->structure.size() != pass.prepared.size() ||
      pass.memo->groups.size() != pass.prepared.size()) {
    return false;
  }
  IncrementalPass steps(pass);
  if (!steps.take_unchanged_users()) return false;
  steps.find_direct_groups();
  if (!steps.make_pending_users()) return false;
  steps.commit();
  return true;
}

}  // namespace trustgate
