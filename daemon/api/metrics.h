#pragma once
// Prometheus metrics of the API and the sync loop, rendered in the text exposition format.
// Thread-safe. The HTTP layer records requests; the sync loop calls the setters.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"

namespace trustgate {

class Metrics {
 public:
  explicit Metrics(const Clock& clock) : clock_(clock) {}

  // `endpoint` is a route pattern ("/v1/users/{id}"), never a raw path.
  void record_request(const std::string& method, const std::string& endpoint, int status,
                      double seconds);
  void record_handoff(const std::string& action, bool allowed);  // issue/redeem
  // A failed authentication ("missing", "malformed", "invalid", "certificate"), and a
  // throttled request.
  void record_auth_failure(const std::string& reason);
  void record_auth_throttled();
  // An answer the HTTP edge gave itself before any handler (a framing error, a timeout, a
  // connection over the per-client cap): its status and error code.
  void record_edge_refusal(int status, const std::string& code);
  // A handoff failure whose audit row was rate-limited (counted in a summary row instead).
  void record_audit_suppressed(const std::string& action);

  // For the sync loop.
  void set_revision(std::int64_t revision);
  void set_last_sync_success(std::int64_t unix_seconds);
  void set_sync_degraded(bool degraded);

  std::string render() const;

  // Sub-millisecond buckets too: the read check's target is p99 under 1 ms.
  static constexpr std::array<double, 13> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // cumulative at render
    std::uint64_t count = 0;
    double sum = 0;
  };
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;  // GUARDED_BY
  std::map<std::pair<std::string, std::string>, Histogram> latency_;             // GUARDED_BY
  std::map<std::pair<std::string, bool>, std::uint64_t> handoffs_;               // GUARDED_BY
  std::map<std::string, std::uint64_t> audit_suppressed_;                        // GUARDED_BY
  std::map<std::string, std::uint64_t> auth_failures_;                           // GUARDED_BY
  std::uint64_t auth_throttled_ = 0;                                             // GUARDED_BY
  std::map<std::pair<int, std::string>, std::uint64_t> edge_refusals_;           // GUARDED_BY
  std::int64_t revision_ = 0;
  std::optional<std::int64_t> last_sync_success_;
  bool degraded_ = false;
};

}  // namespace trustgate
