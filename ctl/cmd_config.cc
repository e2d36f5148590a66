// check-config: every problem of the config, each with file, line and key.
#include "ctl/commands.h"

namespace trustgate::ctl {

int cmd_check_config(Context& ctx) {
  ConfigLoad loaded = load_config(ctx.config_path);
  for (const auto& issue : loaded.issues) ctx.err << format_issue(issue) << '\n';
  if (!loaded.config) {
    ctx.err << loaded.issues.size() << " error(s) in " << ctx.config_path << '\n';
    return kExitUsage;
  }
  const Config& c = *loaded.config;
  ctx.out << ctx.config_path << ": OK (" << c.sources.size() << " source(s), "
          << c.mapping.rules.size() << " rule(s), " << c.mapping.roles.size() << " role(s), "
          << c.mapping.institutions.size() << " institution(s), " << c.mapping.clusters.size()
          << " cluster(s), " << c.clients.size() << " API client(s))\n";
  return kExitOk;
}

}  // namespace trustgate::ctl
