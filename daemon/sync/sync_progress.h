#pragma once
// How far a sync pass has got: entries read, the total expected (what the last successful pass
// read), the rate and the time left. One value for the journal, the STATUS line, /healthz and
// trustgatectl's bar, so they all say the same.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace trustgate {

struct SyncProgress {
  std::size_t entries_read = 0;
  // The last successful pass's count; none before the first one. An estimate: the directory
  // may have grown or shrunk since.
  std::optional<std::size_t> expected_entries;
  std::chrono::steady_clock::duration elapsed{};  // since the pass began

  // The figures below are inline: the API reads them from SyncStatus without linking the sync.

  // Entries per second so far; 0 until time has passed.
  double entries_per_second() const {
    const double s = std::chrono::duration<double>(elapsed).count();
    return s > 0 ? static_cast<double>(entries_read) / s : 0.0;
  }
  // Read over expected, at most 1; none without a total.
  std::optional<double> fraction() const {
    if (!expected_entries) return std::nullopt;
    if (*expected_entries == 0) return 1.0;
    return std::min(1.0,
                    static_cast<double>(entries_read) / static_cast<double>(*expected_entries));
  }
  // Seconds left at the rate so far: none without a total or a rate; 0 once the total is
  // reached (the estimate was low and the pass is about to finish).
  std::optional<double> eta_seconds() const {
    if (!expected_entries) return std::nullopt;
    if (entries_read >= *expected_entries) return 0.0;
    const double rate = entries_per_second();
    if (rate <= 0) return std::nullopt;
    return static_cast<double>(*expected_entries - entries_read) / rate;
  }
};

// Builds SyncProgress for a running pass against the steady clock.
class ProgressMeter {
 public:
  void start(std::chrono::steady_clock::time_point at, std::optional<std::size_t> expected);
  const SyncProgress& update(std::size_t entries_read, std::chrono::steady_clock::time_point at);
  const SyncProgress& current() const { return progress_; }

 private:
  std::chrono::steady_clock::time_point started_{};
  SyncProgress progress_;
};

// One line: "12000 of ~100000 entries (12%), 4000/s, about 22 s left", or without a total
// "12000 entries, 4000/s".
std::string progress_text(const SyncProgress& p);

// A terminal bar of `width` cells followed by the figures:
// "[#####-------------------]  20% 20000/~100000 entries, 4000/s, ETA 0:20". Without a total,
// the figures alone.
std::string progress_bar(const SyncProgress& p, std::size_t width = 30);

// "1:05" for 65 s, "1:02:03" from an hour.
std::string clock_text(double seconds);

// Says when a progress line is due: the first update, then at most once per `every`.
class LineThrottle {
 public:
  explicit LineThrottle(std::chrono::steady_clock::duration every) : every_(every) {}
  bool due(std::chrono::steady_clock::time_point now);
  void reset() { last_.reset(); }

 private:
  std::chrono::steady_clock::duration every_;
  std::optional<std::chrono::steady_clock::time_point> last_;
};

}  // namespace trustgate
