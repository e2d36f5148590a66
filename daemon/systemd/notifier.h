#pragma once
// The daemon's side of the systemd notify protocol (sd_notify(3)): readiness, a one-line
// status, watchdog keep-alives, reload and stop. Implementations are thread-safe; every call
// is best effort (a lost datagram is not an error the daemon could act on).
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

namespace trustgate {

class Notifier {
 public:
  virtual ~Notifier() = default;
  // READY=1: the daemon serves requests. Call once at start-up after the API listens, and
  // again after each reload (systemd leaves the "reloading" state on READY=1).
  virtual void ready() = 0;
  // STATUS=<line>: a one-line summary shown by `systemctl status`. Newlines become spaces.
  virtual void status(std::string_view line) = 0;
  // WATCHDOG=1: the daemon makes progress. Send at least every watchdog_interval() / 2.
  virtual void watchdog() = 0;
  // STOPPING=1: shutdown has begun.
  virtual void stopping() = 0;
  // RELOADING=1 (with MONOTONIC_USEC): a reload has begun; follow with ready().
  virtual void reloading() = 0;
  // The watchdog timeout systemd expects keep-alives within; nullopt when not enabled.
  virtual std::optional<std::chrono::microseconds> watchdog_interval() const = 0;
};

// An sd_notify-backed Notifier when $NOTIFY_SOCKET is set, else one that does nothing.
std::unique_ptr<Notifier> make_systemd_notifier();

}  // namespace trustgate
