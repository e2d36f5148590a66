#include "mapping/mapper.h"

#include <algorithm>
#include <thread>

#include "mapping/full_pass.h"
#include "mapping/incremental_pass.h"
#include "mapping/mapping_pass.h"
#include "mapping/model_catalog.h"
#include "mapping/prepared_snapshot.h"
#include "mapping/rule_hits.h"
#include "mapping/rule_matcher.h"

namespace trustgate {
namespace {

// Drops memo entries of users no longer seen, once they are a noticeable share.
void prune_memo(MappingMemo& memo, const UserMap& users) {
  if (memo.users.size() <= users.size() + users.size() / 8) return;
  std::erase_if(memo.users, [&](const auto& e) { return !users.contains(e.first); });
}

}  // namespace

MappingResult map_directory(const std::vector<DirectorySnapshot>& snapshots,
                            const MappingConfig& config, MappingMemo* memo, unsigned max_threads,
                            const UserSink& sink) {
  MappingPass pass{
      config, memo,
      max_threads != 0 ? max_threads : std::clamp(std::thread::hardware_concurrency(), 1u, 4u)};
  for (const auto& s : snapshots) pass.prepared.push_back(prepare_snapshot(s));
  report_oversized_dns(pass.prepared, pass.warnings);
  // Snapshots by source name: the result does not depend on their order either.
  std::stable_sort(pass.prepared.begin(), pass.prepared.end(), [](const auto& a, const auto& b) {
    return a.snapshot->source < b.snapshot->source;
  });

  build_catalog(pass.result.model, config, pass.prepared, memo, pass.warnings);
  RuleSet rules(config, pass.warnings);
  pass.hits.reserve(pass.prepared.size());
  for (const auto& p : pass.prepared) {
    pass.hits.push_back(rules.match(p, pass.result.model, memo, pass.warnings));
  }
  if (!map_incrementally(pass)) {
    pass.result.model.users.clear();
    map_fully(pass, sink);
  }
  if (memo) prune_memo(*memo, pass.result.model.users);
  rules.report_unmatched(pass.warnings);
  // Users mapped from one entry were canonicalized as they were made; merged ones now.
  for (const auto& id : pass.merged) canonicalize_grants(pass.result.model.users[id]);
  pass.result.warnings = pass.warnings.take();
  return std::move(pass.result);
}

}  // namespace trustgate
