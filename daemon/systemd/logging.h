#pragma once
// The daemon's logger: to the journal (structured, with syslog priorities) when stderr is
// connected to journald, else to stderr. Levels: trace, debug, info, warn (warning), error
// (err), critical, off; case-insensitive.
#include <memory>
#include <optional>
#include <string_view>

#include <spdlog/common.h>
#include <spdlog/logger.h>

#include "common/error.h"

namespace trustgate {

// The level named `name`; error "config.invalid" naming the accepted values otherwise.
Result<spdlog::level::level_enum> parse_log_level(std::string_view name);

// True when $JOURNAL_STREAM ("<dev>:<inode>", set by systemd) names the file stderr is
// connected to, i.e. systemd sends this process's stderr to the journal. A service whose
// StandardError= goes elsewhere (a file, a tty) logs to stderr, as its admin asked.
bool stderr_is_journal();
// The same decision for given values (for tests): `journal_stream` from the environment,
// `dev`/`ino` of stderr, nullopt when stderr is closed.
bool journal_stream_matches(const char* journal_stream, std::optional<unsigned long long> dev,
                            std::optional<unsigned long long> ino);

// A logger named "trustgated" at `level` (an unknown level falls back to info, with a warning
// logged). Flushes at warn and above. Not registered globally: callers pass it on.
std::shared_ptr<spdlog::logger> make_logger(std::string_view level);

// Changes `logger`'s level (on reload). An unknown level is refused and the old one kept.
Result<void> set_level(spdlog::logger& logger, std::string_view level);

}  // namespace trustgate
