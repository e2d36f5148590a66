// test-connection: the connection test of one configured source, or of every one, step by
// step (daemon/sync/source_probe.h); this verb only picks the sources and renders the reports.
// Exit: 0 every step of every source passed, 1 no source of that name, 2 a configuration error
// (including a bind password file that cannot be read), 3 a source failed a step.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

#include "ctl/commands.h"
#include "daemon/sync/connection_report_render.h"
#include "daemon/sync/source_probe.h"

namespace trustgate::ctl {

int cmd_test_connection(Context& ctx, const TestConnectionArgs& args) {
  auto config = ctx.load();
  if (!config) return config.error();
  std::vector<const SourceConfig*> chosen;
  std::vector<std::string> names;
  for (const auto& s : config->sources) {
    names.push_back(s.name);
    if (!args.source || s.name == *args.source) chosen.push_back(&s);
  }
  if (args.source && chosen.empty()) {
    return ctx.fail(kExitNo, fmt::format("no source named '{}' in {} (configured: {})",
                                         *args.source, ctx.config_path, fmt::join(names, ", ")));
  }
  if (chosen.empty()) return ctx.fail(kExitUsage, "the configuration has no [[source]]");

  std::vector<ConnectionReport> reports;
  bool setup_failed = false;
  for (const SourceConfig* source : chosen) {
    auto report = test_source_connection(*source, ctx.clock);
    if (!report) {
      ctx.fail(kExitUsage, fmt::format("source {}: {}", source->name, report.error().message));
      setup_failed = true;
      continue;
    }
    if (!ctx.json) {
      if (!reports.empty()) ctx.out << '\n';
      print_connection_report(ctx.out, *report);
    }
    reports.push_back(std::move(*report));
  }
  if (ctx.json) ctx.out << connection_reports_json(reports) << '\n';
  if (setup_failed) return kExitUsage;
  for (const auto& r : reports)
    if (!r.passed()) return kExitUnavailable;
  return kExitOk;
}

}  // namespace trustgate::ctl
