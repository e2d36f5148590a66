#include "daemon/sync/sync_engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>
#include <string_view>
#include <unordered_map>

#include "common/background_release.h"
#include "daemon/sync/revision_stream.h"
#include "mapping/dn.h"
#include "mapping/identity_collisions.h"

namespace trustgate {
namespace {

// At most this many collisions are described one by one: a hostile directory can hold
// thousands, and every pass would log them all.
constexpr std::size_t kMaxCollisionWarnings = 20;

void warn_identity_collisions(const AccessModel& model,
                              const std::vector<DirectorySnapshot>& snapshots,
                              SyncOutcome& outcome) {
  auto collisions = find_identity_collisions(model);
  for (auto& c : find_group_collisions(snapshots)) collisions.push_back(std::move(c));
  outcome.identity_collisions = collisions.size();
  for (std::size_t i = 0; i < collisions.size() && i < kMaxCollisionWarnings; ++i) {
    outcome.warnings.push_back({"", describe(collisions[i])});
  }
  if (collisions.size() > kMaxCollisionWarnings) {
    outcome.warnings.push_back({"", fmt::format("... and {} more identity collisions",
                                                collisions.size() - kMaxCollisionWarnings)});
  }
}

}  // namespace

std::string_view to_string(SyncOutcome::Kind k) {
  switch (k) {
    case SyncOutcome::Kind::Applied:
      return "applied";
    case SyncOutcome::Kind::Unchanged:
      return "unchanged";
    case SyncOutcome::Kind::Planned:
      return "planned";
    case SyncOutcome::Kind::Refused:
      return "refused";
  }
  return "unknown";
}

namespace {

// (rule, group DN as normalised, source) of every rule grant in `model`.
struct RuleGroup {
  std::string rule, group, source;
  auto operator<=>(const RuleGroup&) const = default;
};
std::set<RuleGroup> rule_groups(const AccessModel& model) {
  std::set<RuleGroup> out;
  auto add = [&](const Provenance& p) {
    if (p.kind == Provenance::Kind::Rule) out.insert({p.rule, normalize_dn(p.group), p.source});
  };
  for (const auto& [id, user] : model.users) {
    for (const auto& g : user.roles) add(*g.via);
    for (const auto& a : user.associations) add(*a.via);
  }
  return out;
}

std::size_t users_from(const AccessModel& model, const std::string& source) {
  std::size_t n = 0;
  for (const auto& [id, user] : model.users) n += user.source == source ? 1 : 0;
  return n;
}

}  // namespace

std::vector<std::string> safety_refusals(const AccessModel& current, const AccessModel& next,
                                         const ModelDiff& diff,
                                         const std::vector<DirectorySnapshot>& snapshots,
                                         const MappingConfig& mapping, const SafetyConfig& safety) {
  std::vector<std::string> out;
  for (const auto& snap : snapshots) {
    if (!snap.users.empty() || !snap.groups.empty()) continue;
    if (const std::size_t before = users_from(current, snap.source); before > 0) {
      out.push_back(
          fmt::format("source '{}' returned no entries (the current revision has {} "
                      "users from it)",
                      snap.source, before));
    }
  }
  // A group that granted access and is gone from a source that was read. A group renamed
  // under a stable-id rule is not "gone" while that rule still grants through it.
  std::set<std::string> present;  // normalised group DNs read this pass
  std::set<std::string> read_sources;
  for (const auto& snap : snapshots) {
    read_sources.insert(snap.source);
    for (const auto& g : snap.groups) present.insert(normalize_dn(g.dn));
  }
  // One pass over the current grants; each distinct group DN is normalised once.
  std::unordered_map<std::string_view, bool> group_present;
  std::set<RuleGroup> vanished;
  auto check = [&](const Provenance& p) {
    if (p.kind != Provenance::Kind::Rule) return;
    auto [it, fresh] = group_present.try_emplace(p.group, true);
    if (fresh) it->second = present.contains(normalize_dn(p.group));
    if (it->second || !read_sources.contains(p.source)) return;
    vanished.insert({p.rule, normalize_dn(p.group), p.source});
  };
  for (const auto& [id, user] : current.users) {
    for (const auto& g : user.roles) check(*g.via);
    for (const auto& a : user.associations) check(*a.via);
  }
  if (!vanished.empty()) {
    std::set<std::string> stable_id_rules;
    for (const auto& r : mapping.rules)
      if (r.group.kind == GroupMatcher::Kind::StableId) stable_id_rules.insert(r.id);
    std::set<std::string> rules_still_granting;
    for (const auto& rg : rule_groups(next)) rules_still_granting.insert(rg.rule);
    std::set<std::string> reported;
    for (const auto& rg : vanished) {
      const bool renamed_under_stable_id =
          rules_still_granting.contains(rg.rule) && stable_id_rules.contains(rg.rule);
      if (renamed_under_stable_id || !reported.insert(rg.group).second) continue;
      out.push_back(fmt::format("mapped group vanished: {} (rule '{}', source '{}')", rg.group,
                                rg.rule, rg.source));
    }
  }
  const std::size_t current_grants = current.grant_count();
  if (diff.grants_removed > safety.max_grant_removals) {
    out.push_back(fmt::format("would remove {} grants, more than the limit of {}",
                              diff.grants_removed, safety.max_grant_removals));
  } else if (current_grants > 0 &&
             static_cast<double>(diff.grants_removed) >
                 safety.max_grant_removal_share * static_cast<double>(current_grants)) {
    out.push_back(
        fmt::format("would remove {} of {} grants, more than the allowed share of {:.0f}%",
                    diff.grants_removed, current_grants, safety.max_grant_removal_share * 100.0));
  }
  return out;
}

SyncEngine::SyncEngine(const MappingConfig& mapping, const SafetyConfig& safety,
                       std::vector<DirectorySource*> sources, Store& store, const Clock& clock)
    : mapping_(mapping),
      safety_(safety),
      sources_(std::move(sources)),
      store_(store),
      clock_(clock) {}

std::vector<std::pair<std::string, std::string>> SyncEngine::resume_states(
    const SyncOutcome& outcome) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (DirectorySource* source : sources_) {
    if (outcome.source_errors.contains(source->name())) continue;
    if (auto state = source->resume_state()) out.emplace_back(source->name(), *state);
  }
  return out;
}

Result<bool> SyncEngine::save_resume_state() {
  if (!state_dirty_) return false;
  auto states = resume_states(SyncOutcome{});
  if (!states.empty()) {
    if (auto saved = store_.save_source_states(states); !saved)
      return std::unexpected(saved.error());
  }
  state_dirty_ = false;
  state_saved_ = true;
  return !states.empty();
}

Result<SyncOutcome> SyncEngine::run(const SyncRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  SyncOutcome outcome;
  auto current_rev = store_.current_model();  // shared with the store: no copy
  if (!current_rev) return std::unexpected(current_rev.error());
  const AccessModel empty;
  const AccessModel& current = *current_rev ? **current_rev : empty;

  std::vector<DirectorySnapshot> snapshots;
  std::size_t read_before = 0;
  for (DirectorySource* source : sources_) {
    ProgressFn progress;
    if (request.progress) {
      progress = [&](std::size_t n) { request.progress(read_before + n); };
    }
    auto snap = source->snapshot(progress);
    if (!snap) {
      spdlog::warn("sync: source '{}' failed: {}; keeping its users as in the current revision",
                   source->name(), snap.error().message);
      outcome.source_errors[source->name()] = snap.error().message;
      continue;
    }
    snap->source = source->name();
    read_before += snap->users.size() + snap->groups.size();
    outcome.malformed_entries += snap->malformed_entries;
    outcome.ignored_values += snap->ignored_values;
    snapshots.push_back(std::move(*snap));
  }
  outcome.entries_read = read_before;
  if (!sources_.empty() && snapshots.empty()) {
    return fail("sync.all_sources_failed", fmt::format("every source failed; first: {}",
                                                       outcome.source_errors.begin()->second));
  }

  const auto read_done = std::chrono::steady_clock::now();
  // Users are written while the next ones are mapped when every source answered (a failed
  // source's users are added after mapping, see below). Until apply or abandon, the stream
  // holds the store.
  RevisionStream stream(store_);
  const bool stream_users = request.apply && outcome.source_errors.empty();
  MappingResult mapped =
      map_directory(snapshots, mapping_, &memo_, 0, stream_users ? stream.sink() : UserSink{});
  // A failed source contributes its users exactly as they are now (shared, not copied).
  for (const auto& [failed, why] : outcome.source_errors) {
    for (const auto& [id, user] : current.users.entries()) {
      if (user->source == failed && !mapped.model.users.contains(id)) {
        mapped.model.users.put(id, user);
      }
    }
  }
  outcome.warnings = std::move(mapped.warnings);
  warn_identity_collisions(mapped.model, snapshots, outcome);
  outcome.cycles = std::move(mapped.cycles);
  outcome.diff = diff_models(current, mapped.model, DiffDetail::UserLines, request.max_user_lines);
  const auto mapped_done = std::chrono::steady_clock::now();
  outcome.timings.read = read_done - started;
  outcome.timings.map = mapped_done - read_done;
  outcome.users_reused = memo_.reused;
  outcome.map_incremental = memo_.incremental;
  outcome.users_streamed = mapped.streamed;

  if (!request.apply) {
    outcome.kind = SyncOutcome::Kind::Planned;
    outcome.refusals =
        safety_refusals(current, mapped.model, outcome.diff, snapshots, mapping_, safety_);
    return outcome;
  }
  const bool first = !*current_rev;
  if (!first && outcome.diff.empty()) {
    stream.abandon();
    outcome.kind = SyncOutcome::Kind::Unchanged;
    if (auto r = store_.record_sync_success(unix_seconds(clock_.now()), outcome.entries_read); !r)
      return std::unexpected(r.error());
    return outcome;
  }
  if (!first) {
    outcome.refusals =
        safety_refusals(current, mapped.model, outcome.diff, snapshots, mapping_, safety_);
    if (!outcome.refusals.empty() && !request.allow_mass_removal) {
      stream.abandon();
      outcome.kind = SyncOutcome::Kind::Refused;
      return outcome;
    }
  }

  ApplyOptions options;
  for (const auto& snap : snapshots) {
    options.sources += (options.sources.empty() ? "" : ",") + snap.source;
  }
  // The entries are mapped: free them (a full sync's peak memory), beside the apply.
  const std::jthread releasing = release_in_background(std::move(snapshots));
  const ModelDiff& diff = outcome.diff;
  options.summary = diff.summary();
  options.forced = !outcome.refusals.empty();
  options.applied_by = request.applied_by;
  options.counts = {diff.users_added, diff.users_removed, diff.users_changed, diff.grants_added,
                    diff.grants_removed};
  if (!diff.user_lines_dropped && diff.users.size() <= kHistoryUserLines) {
    options.user_changes = &diff.users;
  }
  // The first revision carries the sources' resume state; later ones leave it to
  // save_resume_state() (a large directory's state is tens of MB: not on the hot path).
  if (!state_saved_) options.source_states = resume_states(outcome);
  const auto apply_started = std::chrono::steady_clock::now();
  auto next = std::make_shared<const AccessModel>(std::move(mapped.model));
  auto applied = stream.apply(mapped.streamed, next, options);
  if (!applied) return std::unexpected(applied.error());
  if (auto r = store_.record_sync_success(unix_seconds(clock_.now()), outcome.entries_read); !r)
    return std::unexpected(r.error());
  outcome.kind = SyncOutcome::Kind::Applied;
  outcome.timings.apply = std::chrono::steady_clock::now() - apply_started;
  state_saved_ = state_saved_ || !options.source_states.empty();
  state_dirty_ = true;
  outcome.revision = *applied;
  outcome.applied_model = std::move(next);
  return outcome;
}

std::optional<std::size_t> SyncEngine::expected_entries() {
  auto n = store_.last_entries_read();
  return n ? *n : std::nullopt;
}

}  // namespace trustgate
