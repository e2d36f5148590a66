#include "daemon/systemd/sd_notifier.h"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <ctime>

#include <fmt/format.h>

namespace trustgate {

namespace {

void send(const std::string& state) {
  // Best effort: the result only says whether a socket was configured or the send failed.
  (void)sd_notify(0, state.c_str());
}

std::uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1'000u;
}

}  // namespace

std::string status_assignment(std::string_view line) {
  std::string out = "STATUS=";
  out.reserve(out.size() + line.size());
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

void SdNotifier::ready() { send("READY=1"); }

void SdNotifier::status(std::string_view line) { send(status_assignment(line)); }

void SdNotifier::watchdog() { send("WATCHDOG=1"); }

void SdNotifier::stopping() { send("STOPPING=1"); }

void SdNotifier::reloading() {
  // MONOTONIC_USEC lets Type=notify-reload managers (systemd >= 253) match the reload.
  send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec()));
}

std::optional<std::chrono::microseconds> SdNotifier::watchdog_interval() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    return std::chrono::microseconds{usec};
  }
  return std::nullopt;
}

}  // namespace trustgate
