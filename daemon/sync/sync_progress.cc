#include "daemon/sync/sync_progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace trustgate {

void ProgressMeter::start(std::chrono::steady_clock::time_point at,
                          std::optional<std::size_t> expected) {
  started_ = at;
  progress_ = SyncProgress{.expected_entries = expected};
}

const SyncProgress& ProgressMeter::update(std::size_t entries_read,
                                          std::chrono::steady_clock::time_point at) {
  progress_.entries_read = entries_read;
  progress_.elapsed = at - started_;
  return progress_;
}

std::string clock_text(double s) {
  const auto total = static_cast<long long>(std::llround(std::max(0.0, s)));
  const long long h = total / 3600, m = total / 60 % 60, sec = total % 60;
  return h ? fmt::format("{}:{:02}:{:02}", h, m, sec) : fmt::format("{}:{:02}", m, sec);
}

std::string progress_text(const SyncProgress& p) {
  const auto rate = static_cast<long long>(std::llround(p.entries_per_second()));
  if (!p.expected_entries) return fmt::format("{} entries, {}/s", p.entries_read, rate);
  std::string line = fmt::format("{} of ~{} entries ({:.0f}%), {}/s", p.entries_read,
                                 *p.expected_entries, *p.fraction() * 100, rate);
  if (auto eta = p.eta_seconds()) line += fmt::format(", about {:.0f} s left", std::ceil(*eta));
  return line;
}

std::string progress_bar(const SyncProgress& p, std::size_t width) {
  const auto rate = static_cast<long long>(std::llround(p.entries_per_second()));
  if (!p.expected_entries) return fmt::format("{} entries, {}/s", p.entries_read, rate);
  const double f = *p.fraction();
  const auto filled = static_cast<std::size_t>(f * static_cast<double>(width));
  std::string line = "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
  line += fmt::format(" {:3.0f}% {}/~{} entries, {}/s", f * 100, p.entries_read,
                      *p.expected_entries, rate);
  if (auto eta = p.eta_seconds()) line += ", ETA " + clock_text(*eta);
  return line;
}

bool LineThrottle::due(std::chrono::steady_clock::time_point now) {
  if (last_ && now - *last_ < every_) return false;
  last_ = now;
  return true;
}

}  // namespace trustgate
