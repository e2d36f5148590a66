// trustgated: wires the daemon together and runs it. Everything else lives in daemon/.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "daemon/daemon.h"
#include "daemon/store/sqlite_library.h"
#include "daemon/systemd/logging.h"
#include "daemon/systemd/notifier.h"

int main(int argc, char** argv) {
  trustgate::block_daemon_signals();
  const char* env = std::getenv("TRUSTGATE_CONFIG");
  std::string config = env ? env : "/etc/trustgate/trustgate.toml";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
      config = argv[++i];
    } else if (arg.starts_with("--config=")) {
      config = arg.substr(9);
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "usage: trustgated [--config PATH]   (default $TRUSTGATE_CONFIG, else "
                   "/etc/trustgate/trustgate.toml)\n";
      return 0;
    } else {
      std::cerr << "trustgated: unknown argument '" << arg << "' (see --help)\n";
      return 2;
    }
  }
  auto logger = trustgate::make_logger("info");
  spdlog::set_default_logger(logger);
  if (auto tuned = trustgate::configure_sqlite_library(); !tuned)
    spdlog::warn("{}", tuned.error().message);
  trustgate::SystemClock clock;
  trustgate::SecureRandom random;
  auto notifier = trustgate::make_systemd_notifier();
  return trustgate::run_daemon(config, {clock, random, *notifier, logger});
}
