#include "tests/oracle/trustgate_pipeline.h"

#include "common/clock.h"
#include "daemon/config/config_loader.h"
#include "daemon/sync/source_factory.h"
#include "mapping/mapper.h"

namespace trustgate::oracle {

PipelineResult run_pipeline(const std::string& main_toml) {
  PipelineResult r;
  ConfigLoad load = load_config(main_toml);
  if (!load.config) {
    r.error = "config refused:";
    for (const auto& issue : load.issues) r.error += "\n  " + format_issue(issue);
    return r;
  }
  const Config& config = *load.config;
  if (config.sources.size() != 1) {
    r.error = "expected one source";
    return r;
  }
  SystemClock clock;
  auto source = make_source(config.sources.front(), clock);
  if (!source) {
    r.error = "make_source: " + source.error().message;
    return r;
  }
  auto snapshot = (*source)->snapshot();
  if (!snapshot) {
    r.error = "snapshot: " + snapshot.error().message;
    return r;
  }
  snapshot->source = (*source)->name();  // as the sync engine does
  r.users_read = snapshot->users.size();
  r.groups_read = snapshot->groups.size();
  r.malformed = snapshot->malformed_entries;
  MappingResult mapped = map_directory({std::move(*snapshot)}, config.mapping);
  for (const auto& w : mapped.warnings) r.warnings.push_back(w.rule + ": " + w.message);
  r.served = ServingSnapshot::build(std::move(mapped.model), {}, RevisionInfo{}, std::nullopt);
  return r;
}

}  // namespace trustgate::oracle
