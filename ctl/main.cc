// trustgatectl: the sysadmin's tool. Reads the same config as trustgated and works on the
// same store file (SQLite allows both at once).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "ctl/context.h"
#include "daemon/store/sqlite_library.h"

using namespace trustgate::ctl;

namespace {

struct Entry {
  Command run;
  const char* usage;
};

const std::map<std::string, Entry>& commands() {
  static const std::map<std::string, Entry> table = {
      {"check-config",
       {cmd_check_config,
        "check-config            validate the config; errors name file, line and key"}},
      {"plan",
       {cmd_plan,
        "plan                    what the next sync would change, user by user (applies nothing)"}},
      {"sync", {cmd_sync, "sync --once [--allow-mass-removal]   run one sync pass now"}},
      {"status", {cmd_status, "status                  current revision, when, counts, last sync"}},
      {"explain",
       {cmd_explain,
        "explain USER [INSTITUTION]   the login decision and the path that grants it"}},
      {"users", {cmd_users, "users                   every user with roles and associations"}},
      {"institutions",
       {cmd_institutions, "institutions [--user=USER]   schools (with can-log-in for a user)"}},
      {"clusters", {cmd_clusters, "clusters                clusters and their schools"}},
      {"associate",
       {cmd_associate, "associate USER (--institution=ID | --cluster=ID | --all) [--by=WHO]"}},
      {"dissociate", {cmd_dissociate, "dissociate USER (--institution=ID | --cluster=ID | --all)"}},
      {"audit",
       {cmd_audit,
        "audit [--user=U] [--institution=I] [--decision=allow|deny] [--since=UNIX] [--until=UNIX] "
        "[--limit=N]\n  audit verify            check the audit hash chain; names the first broken "
        "row"}},
  };
  return table;
}

int usage(std::ostream& out, int code) {
  out << "usage: trustgatectl [--config PATH] [--json] COMMAND [ARGS]\n\ncommands:\n";
  for (const auto& [name, entry] : commands()) out << "  " << entry.usage << '\n';
  out << "\nThe config defaults to $TRUSTGATE_CONFIG, else /etc/trustgate/trustgate.toml.\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries the answer alone (with --json, one JSON document).
  spdlog::set_default_logger(spdlog::stderr_color_mt("trustgatectl"));
  // Only a speed setting, and nothing has opened SQLite yet: it cannot fail here.
  (void)trustgate::configure_sqlite_library();
  Context ctx;
  const char* env = std::getenv("TRUSTGATE_CONFIG");
  ctx.config_path = env ? env : "/etc/trustgate/trustgate.toml";
  std::string command;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return usage(std::cout, kExitOk);
    if (arg == "--json") {
      ctx.json = true;
    } else if (arg == "--config" || arg == "-c") {
      if (++i >= argc) return usage(std::cerr, kExitUsage);
      ctx.config_path = argv[i];
    } else if (arg.starts_with("--config=")) {
      ctx.config_path = arg.substr(9);
    } else if (arg.starts_with("--")) {
      auto eq = arg.find('=');
      if (eq == std::string::npos) {
        ctx.flags[arg.substr(2)] = "";
      } else {
        ctx.flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
      }
    } else if (command.empty()) {
      command = arg;
    } else {
      ctx.args.push_back(arg);
    }
  }
  if (command.empty()) return usage(std::cerr, kExitUsage);
  auto it = commands().find(command);
  if (it == commands().end()) {
    std::cerr << "trustgatectl: unknown command '" << command << "'\n";
    return usage(std::cerr, kExitUsage);
  }
  try {
    return it->second.run(ctx);
  } catch (const std::exception& e) {
    std::cerr << "trustgatectl: " << e.what() << '\n';
    return kExitFailure;
  }
}
