#pragma once
// Notifier over libsystemd's sd_notify(3), which sends to the socket named by $NOTIFY_SOCKET
// (read at every call). Thread-safe: each call opens its own datagram.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/systemd/notifier.h"

namespace trustgate {

class SdNotifier final : public Notifier {
 public:
  void ready() override;
  void status(std::string_view line) override;
  void watchdog() override;
  void stopping() override;
  void reloading() override;
  // From sd_watchdog_enabled(3): $WATCHDOG_USEC, when $WATCHDOG_PID is unset or this process.
  std::optional<std::chrono::microseconds> watchdog_interval() const override;
};

// A Notifier that does nothing: for runs outside systemd.
class NullNotifier final : public Notifier {
 public:
  void ready() override {}
  void status(std::string_view) override {}
  void watchdog() override {}
  void stopping() override {}
  void reloading() override {}
  std::optional<std::chrono::microseconds> watchdog_interval() const override {
    return std::nullopt;
  }
};

// "STATUS=<line>" with control characters (newlines included) replaced by spaces, so one
// status can never inject another assignment into the datagram.
std::string status_assignment(std::string_view line);

}  // namespace trustgate
