// trustgatectl: the sysadmin's tool. Reads the same config as trustgated and works on the
// same store file (SQLite allows both at once).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "ctl/command_line.h"
#include "daemon/store/sqlite_library.h"

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries the answer alone (with --json, one JSON document).
  spdlog::set_default_logger(spdlog::stderr_color_mt("trustgatectl"));
  // Only a speed setting, and nothing has opened SQLite yet: it cannot fail here.
  (void)trustgate::configure_sqlite_library();
  trustgate::ctl::Context ctx;
  return trustgate::ctl::run_command_line(ctx, argc, argv);
}
