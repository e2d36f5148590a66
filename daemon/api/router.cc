#include "daemon/api/router.h"

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include <cctype>

#include "daemon/http/api_json.h"

namespace trustgate {
namespace {

// 127.0.0.0/8 and ::1 (and ::ffff:127.x), as Poco prints them.
bool is_loopback_address(const std::string& peer) {
  return peer.starts_with("127.") || peer == "::1" || peer.starts_with("::ffff:127.");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

bool content_type_is_json(std::string_view ct) {
  auto semi = ct.find(';');
  std::string_view media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  while (!media.empty() && media.front() == ' ') media.remove_prefix(1);
  return iequals(media, "application/json");
}

// A client-chosen string for a log line: printable, one line, bounded.
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 100)) {
    if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > 100) out += "...";
  return out;
}

std::string_view failure_name(AuthFailure f) {
  switch (f) {
    case AuthFailure::Missing:
      return "missing";
    case AuthFailure::Malformed:
      return "malformed";
    case AuthFailure::Invalid:
      return "invalid";
    case AuthFailure::Certificate:
      return "certificate";
  }
  return "invalid";
}

}  // namespace

Result<ParsedTarget> parse_target(std::string_view target) {
  ParsedTarget out;
  if (target.empty() || target.front() != '/') return fail("invalid_path", "bad request target");
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (auto hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);  // "/v1/clusters/" = same
  if (!path.empty()) {
    for (auto raw : split(path, '/')) {
      auto seg = percent_decode(raw, false);
      if (!seg || !is_valid_id(*seg) || *seg == "." || *seg == ".." ||
          seg->find_first_of("/\\") != std::string::npos) {
        return fail("invalid_path",
                    "a path segment is empty, too long or contains invalid characters");
      }
      out.segments.push_back(std::move(*seg));
    }
  }
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    if (auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
    if (!query.empty()) {
      for (auto pair : split(query, '&')) {
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        auto key = percent_decode(pair.substr(0, eq), true);
        auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
        if (!key || !value || !is_valid_id(*key) || (!value->empty() && !is_valid_id(*value))) {
          return fail("invalid_query",
                      "a query parameter is too long or contains invalid characters");
        }
        if (!out.query.emplace(std::move(*key), std::move(*value)).second) {
          return fail("invalid_query", "a query parameter is repeated");
        }
      }
    }
  }
  return out;
}

ApiResponse unauthorized_response(std::string_view message) {
  ApiResponse r = error_response(401, "unauthorized", message);
  r.headers.emplace_back("WWW-Authenticate",
                         "Bearer realm=\"trustgate\", Basic realm=\"trustgate\"");
  return r;
}

void Router::throttle_authentication(const Clock& clock, Metrics* metrics,
                                     AuthThrottleOptions options) {
  throttle_ = std::make_unique<AuthThrottle>(clock, options);
  metrics_ = metrics;
}

void Router::add(RouteSpec spec, ApiHandler handler) {
  Route r;
  for (auto part : split(std::string_view(spec.pattern).substr(1), '/')) r.parts.emplace_back(part);
  r.spec = std::move(spec);
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

ApiResponse Router::dispatch(ApiRequest& request, std::string& endpoint) const {
  endpoint = "unmatched";
  auto parsed = parse_target(request.target);
  if (!parsed) return error_response(400, parsed.error().code, parsed.error().message);
  request.segments = std::move(parsed->segments);
  request.query = std::move(parsed->query);

  const Route* match = nullptr;
  std::string allowed_methods;
  for (const auto& route : routes_) {
    if (route.parts.size() != request.segments.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < route.parts.size() && same; ++i) {
      const auto& p = route.parts[i];
      same = (p.size() > 2 && p.front() == '{') || p == request.segments[i];
    }
    if (!same) continue;
    if (route.spec.method == request.method) {
      match = &route;
      break;
    }
    if (!allowed_methods.empty()) allowed_methods += ", ";
    allowed_methods += route.spec.method;
  }
  if (match == nullptr) {
    if (allowed_methods.empty()) return error_response(404, "not_found", "no such endpoint");
    ApiResponse r = error_response(405, "method_not_allowed", "method not allowed here");
    r.headers.emplace_back("Allow", allowed_methods);
    return r;
  }
  endpoint = match->spec.pattern;
  request.params.clear();
  for (std::size_t i = 0; i < match->parts.size(); ++i) {
    const auto& p = match->parts[i];
    if (p.size() > 2 && p.front() == '{')
      request.params[p.substr(1, p.size() - 2)] = request.segments[i];
  }

  if (!match->spec.clients.empty()) {
    const std::string claimed = ClientRegistry::claimed_id(request.authorization).value_or("");
    std::vector<std::string> keys;
    if (throttle_) {
      // Per claimed id from one address, so that failures elsewhere cannot lock a client out
      // where it runs; and per address, except loopback, which every local client shares.
      keys.push_back((clients_.find(claimed) ? "client:" + claimed : std::string("client:?")) +
                     "@" + request.peer);
      if (!request.peer.empty() && !is_loopback_address(request.peer)) {
        keys.push_back("peer:" + request.peer);
      }
      for (const auto& key : keys) {
        if (auto wait = throttle_->retry_after(key)) {
          if (metrics_) metrics_->record_auth_throttled();
          spdlog::warn("auth: throttled after repeated failures: client=\"{}\" peer={} ({})",
                       printable(claimed), request.peer.empty() ? "?" : request.peer, key);
          ApiResponse r = error_response(429, "too_many_requests",
                                         "too many failed authentications; retry later");
          r.headers.emplace_back("Retry-After", std::to_string(wait->count()));
          return r;
        }
      }
    }
    auto client = clients_.authenticate(request.authorization);
    if (client && !certificate_speaks_for(**client, request.certificate_names)) {
      client = std::unexpected(AuthFailure::Certificate);
    }
    if (!client) {
      if (metrics_) metrics_->record_auth_failure(std::string(failure_name(client.error())));
      if (client.error() != AuthFailure::Missing) {
        spdlog::warn("auth: failed ({} credential): client=\"{}\" peer={} endpoint={}",
                     failure_name(client.error()), printable(claimed),
                     request.peer.empty() ? "?" : request.peer, match->spec.pattern);
        if (throttle_) {
          for (const auto& key : keys) throttle_->failed(key);
        }
      }
      return unauthorized_response(client.error() == AuthFailure::Missing ? "credentials required"
                                   : client.error() == AuthFailure::Certificate
                                       ? "the TLS client certificate does not name this client"
                                       : "invalid credentials");
    }
    if (!match->spec.clients.contains((*client)->kind)) {
      return error_response(
          403, "forbidden",
          fmt::format("a {} client may not call this endpoint", to_string((*client)->kind)));
    }
    request.client = *client;
  }

  if (match->spec.json_body) {
    if (!content_type_is_json(request.content_type)) {
      return error_response(415, "unsupported_media_type", "Content-Type must be application/json");
    }
    auto obj = parse_json_object(request.body);
    if (!obj) return error_response(400, obj.error().code, obj.error().message);
    request.json = *obj;
  }
  return match->handler(request);
}

}  // namespace trustgate
