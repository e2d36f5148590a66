#include "mapping/user_from_entry.h"

namespace trustgate {
namespace {

const std::vector<SharedProvenance>& provenances(const DirectorySnapshot& s,
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

}  // namespace

void take_profile(User& user, const DirectoryUser& du, const std::string& source) {
  user.id = du.id;
  user.username = du.username;
  user.display_name = du.display_name;
  user.email = du.email;
  user.dn = du.dn;
  user.source = source;
}

void add_grants(User& user, const DirectorySnapshot& s, const GroupHits& hits,
                const std::vector<GroupTree::Membership>& memberships, ProvenanceCache& cache) {
  if (!hits.any) return;
  for (const auto& m : memberships) {
    const auto& group_hits = hits.by_group[m.group];
    if (group_hits.empty()) continue;
    const auto& vias = provenances(s, m.chain, group_hits, cache);
    for (std::size_t h = 0; h < group_hits.size(); ++h) {
      const RuleHit& hit = group_hits[h];
      for (const auto& role : hit.roles) user.roles.push_back(RoleGrant{role, vias[h]});
      for (const auto& [kind, target] : hit.associations) {
        user.associations.push_back(Association{kind, target, vias[h]});
      }
    }
  }
}

}  // namespace trustgate
