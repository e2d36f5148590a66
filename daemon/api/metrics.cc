#include "daemon/api/metrics.h"

#include <fmt/format.h>

#include <tuple>

namespace trustgate {
namespace {

// Label values are route patterns and fixed words, but escape anyway.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void Metrics::record_request(const std::string& method, const std::string& endpoint, int status,
                             double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{method, endpoint, status}];
  Histogram& h = latency_[{method, endpoint}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::record_handoff(const std::string& action, bool allowed) {
  std::lock_guard lock(mutex_);
  ++handoffs_[{action, allowed}];
}

void Metrics::record_auth_failure(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++auth_failures_[reason];
}

void Metrics::record_auth_throttled() {
  std::lock_guard lock(mutex_);
  ++auth_throttled_;
}

void Metrics::record_edge_refusal(int status, const std::string& code) {
  std::lock_guard lock(mutex_);
  ++edge_refusals_[{status, code}];
}

void Metrics::record_audit_suppressed(const std::string& action) {
  std::lock_guard lock(mutex_);
  ++audit_suppressed_[action];
}

void Metrics::set_revision(std::int64_t revision) {
  std::lock_guard lock(mutex_);
  revision_ = revision;
}

void Metrics::set_last_sync_success(std::int64_t at) {
  std::lock_guard lock(mutex_);
  last_sync_success_ = at;
}

void Metrics::set_sync_degraded(bool degraded) {
  std::lock_guard lock(mutex_);
  degraded_ = degraded;
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP trustgate_http_requests_total HTTP requests by endpoint and status.\n";
  out += "# TYPE trustgate_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [method, endpoint, status] = key;
    out += fmt::format(
        "trustgate_http_requests_total{{method=\"{}\",endpoint=\"{}\",status=\"{}\"}} {}\n",
        label(method), label(endpoint), status, n);
  }
  out += "# HELP trustgate_http_request_duration_seconds HTTP request latency.\n";
  out += "# TYPE trustgate_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : latency_) {
    const std::string labels =
        fmt::format("method=\"{}\",endpoint=\"{}\"", label(key.first), label(key.second));
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      out += fmt::format("trustgate_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n",
                         labels, kBuckets[i], cumulative);
    }
    out += fmt::format("trustgate_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n",
                       labels, h.count);
    out += fmt::format("trustgate_http_request_duration_seconds_sum{{{}}} {}\n", labels, h.sum);
    out += fmt::format("trustgate_http_request_duration_seconds_count{{{}}} {}\n", labels, h.count);
  }
  out +=
      "# HELP trustgate_http_edge_refusals_total Requests and connections the HTTP edge refused "
      "before routing them, by status and error code.\n";
  out += "# TYPE trustgate_http_edge_refusals_total counter\n";
  for (const auto& [key, n] : edge_refusals_) {
    out += fmt::format("trustgate_http_edge_refusals_total{{status=\"{}\",code=\"{}\"}} {}\n",
                       key.first, label(key.second), n);
  }
  out += "# HELP trustgate_handoffs_total Handoff issues and redeems by outcome.\n";
  out += "# TYPE trustgate_handoffs_total counter\n";
  for (const auto& [key, n] : handoffs_) {
    out += fmt::format("trustgate_handoffs_total{{action=\"{}\",decision=\"{}\"}} {}\n",
                       label(key.first), key.second ? "allow" : "deny", n);
  }
  out += "# HELP trustgate_auth_failures_total Failed authentications by reason.\n";
  out += "# TYPE trustgate_auth_failures_total counter\n";
  for (const auto& [reason, n] : auth_failures_) {
    out += fmt::format("trustgate_auth_failures_total{{reason=\"{}\"}} {}\n", label(reason), n);
  }
  out +=
      "# HELP trustgate_auth_throttled_total Requests refused (429) after repeated failed "
      "authentications.\n";
  out += "# TYPE trustgate_auth_throttled_total counter\n";
  out += fmt::format("trustgate_auth_throttled_total {}\n", auth_throttled_);
  out +=
      "# HELP trustgate_audit_suppressed_total Handoff failures without an audit row of their "
      "own (rate-limited; counted in a summary row).\n";
  out += "# TYPE trustgate_audit_suppressed_total counter\n";
  for (const auto& [action, n] : audit_suppressed_) {
    out += fmt::format("trustgate_audit_suppressed_total{{action=\"{}\"}} {}\n", label(action), n);
  }
  out += "# HELP trustgate_revision The access-model revision being served.\n";
  out += "# TYPE trustgate_revision gauge\n";
  out += fmt::format("trustgate_revision {}\n", revision_);
  out += "# HELP trustgate_sync_degraded 1 when the last sync failed or was refused.\n";
  out += "# TYPE trustgate_sync_degraded gauge\n";
  out += fmt::format("trustgate_sync_degraded {}\n", degraded_ ? 1 : 0);
  if (last_sync_success_) {
    out += "# HELP trustgate_seconds_since_last_sync Seconds since the last successful sync.\n";
    out += "# TYPE trustgate_seconds_since_last_sync gauge\n";
    out += fmt::format("trustgate_seconds_since_last_sync {}\n",
                       unix_seconds(clock_.now()) - *last_sync_success_);
  }
  return out;
}

}  // namespace trustgate
