// plan, sync: one sync pass from the command line (dry run or applied).
#include <fmt/format.h>

#include "ctl/context.h"
#include "daemon/sync/source_factory.h"
#include "daemon/sync/sync_engine.h"
#include "daemon/sync/sync_report.h"

namespace trustgate::ctl {
namespace {

int run_pass(Context& ctx, bool apply) {
  auto config = ctx.load();
  if (!config) return kExitUsage;
  auto store = ctx.open_store(*config);
  if (!store) {
    ctx.err << "trustgatectl: " << store.error().message << '\n';
    return kExitFailure;
  }
  auto sources = make_sources(*config, ctx.clock);
  if (!sources) {
    ctx.err << "trustgatectl: " << sources.error().message << '\n';
    return kExitFailure;
  }
  SyncEngine engine(config->mapping, config->safety, pointers(*sources), **store, ctx.clock);
  SyncRequest request;
  request.apply = apply;
  request.allow_mass_removal = ctx.flag("allow-mass-removal");
  if (!ctx.json) {
    request.progress = [&ctx](std::size_t n) {
      if (n % 10000 == 0) ctx.err << "  ... " << n << " entries read\n";
    };
  }
  auto outcome = engine.run(request);
  if (!outcome) {
    ctx.err << "trustgatectl: sync failed, nothing applied: " << outcome.error().message << '\n';
    return kExitFailure;
  }
  if (ctx.json) {
    ctx.out << sync_outcome_json(*outcome) << '\n';
  } else {
    print_sync_outcome(ctx.out, *outcome);
  }
  return outcome->kind == SyncOutcome::Kind::Refused ? kExitNo : kExitOk;
}

}  // namespace

int cmd_plan(Context& ctx) { return run_pass(ctx, false); }

int cmd_sync(Context& ctx) {
  if (!ctx.flag("once")) {
    ctx.err << "trustgatectl: sync needs --once (the daemon runs the continuous sync)\n";
    return kExitUsage;
  }
  return run_pass(ctx, true);
}

}  // namespace trustgate::ctl
