#include "daemon/config/config_reader.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "daemon/config/config_mapping_reader.h"
#include "daemon/config/config_source_reader.h"
#include "daemon/config/config_table_reader.h"

namespace trustgate {
namespace {

using namespace config_reading;

// "" when `listen` is host:port (IPv6 hosts in brackets), else the problem.
std::string listen_problem(std::string_view listen) {
  const std::string_view expected = "expected host:port, e.g. 127.0.0.1:8470 or [::1]:8470";
  std::size_t colon;
  if (!listen.empty() && listen.front() == '[') {
    const std::size_t close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return std::string(expected);
    }
    colon = close + 1;
  } else {
    colon = listen.rfind(':');
    if (colon == std::string_view::npos || colon == 0 ||
        listen.substr(0, colon).find(':') != std::string_view::npos) {
      return std::string(expected);
    }
  }
  const std::string_view port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::ranges::all_of(port, [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(std::string(port)) > 65535) {
    return fmt::format("invalid port '{}' ({})", port, expected);
  }
  return "";
}

// The document's scalar tables ([daemon], [safety], [http], [handoff], [audit]) and its
// [[client]] tables; sources and the mapping have readers of their own.
class DocumentReader : public TableReader {
 public:
  using TableReader::TableReader;

  void read(const toml::table& document) {
    TableFields root(document, file_, "", draft_.issues);
    if (const toml::table* t = root.table("daemon")) read_daemon(*t);
    if (const toml::table* t = root.table("safety")) read_safety(*t);
    if (const toml::table* t = root.table("http")) read_http(*t);
    if (const toml::table* t = root.table("handoff")) read_handoff(*t);
    if (const toml::table* t = root.table("audit")) read_audit(*t);
    read_source_tables(root, file_, draft_);
    read_mapping_tables(root, file_, draft_);
    each(root, "client", [this](const toml::table& t, std::size_t i) { read_client(t, i); });
    root.finish();
  }

 private:
  void read_daemon(const toml::table& t) {
    TableFields f(t, file_, "daemon", draft_.issues);
    Config& c = draft_.config;
    std::string database;
    if (f.read("database", database)) {
      if (database.empty()) {
        f.error("database", "must not be empty");
      } else {
        c.database = resolve_config_path(dir_, database);
      }
    }
    std::string level;
    if (f.read("log_level", level)) {
      static constexpr std::array<std::string_view, 5> kLevels = {"trace", "debug", "info", "warn",
                                                                  "error"};
      if (std::ranges::find(kLevels, level) != kLevels.end()) {
        c.log_level = level;
      } else {
        f.error("log_level", "must be one of trace, debug, info, warn, error");
      }
    }
    f.read("sync_interval", c.sync_interval_seconds, 1, 7 * 24 * 3600);
    f.read("batch_millis", c.batch_millis, 0, 60'000);
    f.finish();
    record_settings(t, "daemon");
  }

  void read_safety(const toml::table& t) {
    TableFields f(t, file_, "safety", draft_.issues);
    SafetyConfig& s = draft_.config.safety;
    f.read("max_grant_removals", s.max_grant_removals);
    f.read("max_grant_removal_share", s.max_grant_removal_share, 0.0, 1.0);
    f.finish();
    record_settings(t, "safety");
  }

  void read_http(const toml::table& t) {
    TableFields f(t, file_, "http", draft_.issues);
    HttpConfig& h = draft_.config.http;
    std::string listen;
    if (f.read("listen", listen)) {
      if (const std::string problem = listen_problem(listen); problem.empty()) {
        h.listen = listen;
      } else {
        f.error("listen", problem);
      }
    }
    read_path(f, "tls_cert", h.tls_cert_file);
    read_secret_path(f, "tls_key", h.tls_key_file);
    read_path(f, "tls_client_ca", h.tls_client_ca_file);
    f.read("require_client_cert", h.require_client_cert);
    std::size_t max_body = 0;
    if (f.read("max_body_bytes", max_body)) {
      if (max_body == 0) {
        f.error("max_body_bytes", "must be at least 1");
      } else {
        h.max_body_bytes = max_body;
      }
    }
    f.read("max_connections", h.max_connections, 1, 1'000'000);
    f.read("idle_timeout", h.idle_timeout_seconds, 1, 3600);
    f.read("request_timeout", h.request_timeout_seconds, 1, 3600);
    f.read("threads", h.threads, 1, 1024);
    f.read("event_loops", h.event_loops, 0, 64);
    f.read("max_connections_per_client", h.max_connections_per_client, 0, 100'000);
    f.read("auth_max_failures", h.auth_max_failures, 0, 1'000'000);
    f.read("auth_failure_window", h.auth_failure_window_seconds, 1, 86'400);
    f.finish();
    record_settings(t, "http");
  }

  void read_handoff(const toml::table& t) {
    TableFields f(t, file_, "handoff", draft_.issues);
    f.read("ttl_seconds", draft_.config.handoff.ttl_seconds, 1, 300);
    f.read("max_age_seconds", draft_.config.handoff.max_age_seconds, 60, 30 * 86'400);
    f.finish();
    record_settings(t, "handoff");
  }

  void read_audit(const toml::table& t) {
    TableFields f(t, file_, "audit", draft_.issues);
    AuditConfig& a = draft_.config.audit;
    f.read("retention_days", a.retention_days, 0, 100'000);
    f.read("max_rows", a.max_rows);
    f.read("failure_rows_per_second", a.failure_rows_per_second, 0, 1'000'000);
    f.finish();
    record_settings(t, "audit");
  }

  void read_client(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("client[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    ClientConfig c;
    f.read("id", c.id);
    f.require("id");
    std::string kind;
    bool kind_ok = false;
    if (f.read("kind", kind) && !kind.empty()) {
      kind_ok = true;
      if (kind == "site") {
        c.kind = ClientKind::Site;
      } else if (kind == "school") {
        c.kind = ClientKind::School;
      } else if (kind == "admin") {
        c.kind = ClientKind::Admin;
      } else {
        kind_ok = false;
        f.error("kind", "must be one of \"site\", \"school\", \"admin\"");
      }
    }
    f.require("kind");
    f.read("institution", c.institution);
    if (kind_ok && c.kind == ClientKind::School && c.institution.empty()) {
      f.error("institution", f.has("institution")
                                 ? "must not be empty"
                                 : "missing required key (a school client is bound to one "
                                   "institution)");
    } else if (kind_ok && c.kind != ClientKind::School && !c.institution.empty()) {
      f.error("institution", "only school clients are bound to an institution");
    }
    if (f.has("certificate_name")) {
      std::string name;
      f.read("certificate_name", name);
      if (name.empty()) {
        f.error("certificate_name", "must not be empty");
      } else {
        c.certificate_name = std::move(name);
      }
    }
    read_secret_path(f, "secret_file", c.secret_file);
    f.require("secret_file");
    f.refuse("secret", fmt::format(kInlineSecretMessage, "secret_file"));
    f.finish();
    draft_.config.clients.push_back(std::move(c));
    draft_.clients.push_back(origin(t, key));
  }
};

}  // namespace

void read_config_document(const toml::table& document, const std::string& file,
                          ConfigDraft& draft) {
  DocumentReader(file, draft).read(document);
}

}  // namespace trustgate
