#include "daemon/systemd/logging.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>

namespace trustgate {

namespace {

constexpr const char* kLoggerName = "trustgated";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Result<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  using spdlog::level::level_enum;
  const std::string n = lower(name);
  if (n == "trace") return level_enum::trace;
  if (n == "debug") return level_enum::debug;
  if (n == "info") return level_enum::info;
  if (n == "warn" || n == "warning") return level_enum::warn;
  if (n == "error" || n == "err") return level_enum::err;
  if (n == "critical") return level_enum::critical;
  if (n == "off") return level_enum::off;
  return fail("config.invalid",
              fmt::format("unknown log level \"{}\" (expected trace, debug, info, warn, error, "
                          "critical or off)",
                          name));
}

bool journal_stream_matches(const char* journal_stream, std::optional<unsigned long long> dev,
                            std::optional<unsigned long long> ino) {
  if (journal_stream == nullptr || !dev || !ino) return false;
  unsigned long long want_dev = 0, want_ino = 0;
  char trailing = 0;
  if (std::sscanf(journal_stream, "%llu:%llu%c", &want_dev, &want_ino, &trailing) != 2) {
    return false;
  }
  return want_dev == *dev && want_ino == *ino;
}

bool stderr_is_journal() {
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return journal_stream_matches(std::getenv("JOURNAL_STREAM"),
                                static_cast<unsigned long long>(st.st_dev),
                                static_cast<unsigned long long>(st.st_ino));
}

std::shared_ptr<spdlog::logger> make_logger(std::string_view level) {
  spdlog::sink_ptr sink;
  if (stderr_is_journal()) {
    // The journal adds its own timestamp and priority; keep the message bare.
    sink = std::make_shared<spdlog::sinks::systemd_sink_mt>(kLoggerName);
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }
  auto logger = std::make_shared<spdlog::logger>(kLoggerName, std::move(sink));
  logger->flush_on(spdlog::level::warn);
  auto parsed = parse_log_level(level);
  logger->set_level(parsed.value_or(spdlog::level::info));
  if (!parsed) logger->warn("{}; using info", parsed.error().message);
  return logger;
}

Result<void> set_level(spdlog::logger& logger, std::string_view level) {
  auto parsed = parse_log_level(level);
  if (!parsed) return std::unexpected(parsed.error());
  logger.set_level(*parsed);
  return {};
}

}  // namespace trustgate
