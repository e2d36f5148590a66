// plan, sync: one sync pass from the command line (dry run or applied). Both exit 4 when the
// safety checks refuse the pass (plan: would refuse it), so a script can tell.
#include <fmt/format.h>

#include <optional>

#include "ctl/commands.h"
#include "ctl/progress_view.h"
#include "daemon/sync/source_factory.h"
#include "daemon/sync/sync_engine.h"
#include "daemon/sync/sync_report.h"

namespace trustgate::ctl {
namespace {

int run_pass(Context& ctx, bool apply, bool allow_mass_removal) {
  auto config = ctx.load();
  if (!config) return config.error();
  auto store = ctx.open_store(*config);
  if (!store) return store.error();
  auto sources = make_sources(*config, ctx.clock);
  if (!sources) {
    // A secret file that cannot be read is the config's fault, like the rest of it.
    const bool config_error = sources.error().code.starts_with("config.");
    return ctx.fail(config_error ? kExitUsage : kExitUnavailable, sources.error().message);
  }
  SyncEngine engine(config->mapping, config->safety, pointers(*sources), **store, ctx.clock);
  SyncRequest request;
  request.apply = apply;
  request.allow_mass_removal = allow_mass_removal;
  request.applied_by = ctx.operator_id();
  std::optional<ProgressView> view;
  if (!ctx.json) {
    view.emplace(ctx.err, ctx.err_is_terminal(), ctx.clock, engine.expected_entries());
    request.progress = [&view](std::size_t n) { view->update(n); };
  }
  auto outcome = engine.run(request);
  if (view) view->finish();
  if (!outcome) {
    return ctx.fail(kExitUnavailable, "sync failed, nothing applied: " + outcome.error().message);
  }
  if (ctx.json) {
    ctx.out << sync_outcome_json(*outcome) << '\n';
  } else {
    print_sync_outcome(ctx.out, *outcome);
  }
  const bool refused = outcome->kind == SyncOutcome::Kind::Refused ||
                       (outcome->kind == SyncOutcome::Kind::Planned && !outcome->refusals.empty());
  return refused ? kExitRefused : kExitOk;
}

}  // namespace

int cmd_plan(Context& ctx) { return run_pass(ctx, false, false); }

int cmd_sync(Context& ctx, const SyncArgs& args) {
  if (!args.once) {
    return ctx.fail(kExitUsage, "sync needs --once (the daemon runs the continuous sync)");
  }
  return run_pass(ctx, true, args.allow_mass_removal);
}

}  // namespace trustgate::ctl
