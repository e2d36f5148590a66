#pragma once
// trustgated's life cycle: open the store and serve its revision at once, start the API,
// sync the sources in the background, tell systemd how things are, reload on SIGHUP (a bad
// new config is refused and the old one keeps running) and stop cleanly on SIGTERM.
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "daemon/systemd/notifier.h"

namespace spdlog {
class logger;
}

namespace trustgate {

struct DaemonDeps {
  const Clock& clock;
  RandomSource& random;
  Notifier& notifier;
  std::shared_ptr<spdlog::logger> logger;
};

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and so in every thread it starts
// afterwards): call first thing in main, before any thread exists.
void block_daemon_signals();

// Runs the daemon until SIGTERM/SIGINT. Returns the process exit code: 0 after a clean stop,
// non-zero when start-up fails (a bad config at start-up is fatal).
int run_daemon(const std::string& config_path, DaemonDeps deps);

}  // namespace trustgate
