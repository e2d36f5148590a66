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

#include "connectors/filter/ldap_filter.h"
#include "connectors/ldif/ldif_filter_match.h"
#include "daemon/config/config_fields.h"
#include "daemon/config/config_paths.h"
#include "mapping/group_pattern.h"

namespace trustgate {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kInlineSecretMessage = "secrets must come from files: use {}";

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The highest $N (N in 1..9) that `s` uses; 0 when none.
int max_capture(std::string_view s) {
  int highest = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '$' && s[i + 1] >= '1' && s[i + 1] <= '9')
      highest = std::max(highest, s[i + 1] - '0');
  }
  return highest;
}

// "" when every space-separated URL uses ldap://, ldaps:// or ldapi://, else the problem.
std::string ldap_url_problem(std::string_view urls) {
  std::size_t pos = 0;
  bool any = false;
  while (pos < urls.size()) {
    const std::size_t start = urls.find_first_not_of(" \t,", pos);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(urls.find_first_of(" \t,", start), urls.size());
    const std::string_view url = urls.substr(start, end - start);
    pos = end;
    any = true;
    const std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) {
      return fmt::format("'{}' is not a URL (expected ldap://, ldaps:// or ldapi://)", url);
    }
    const std::string scheme = lower(url.substr(0, sep));
    if (scheme != "ldap" && scheme != "ldaps" && scheme != "ldapi") {
      return fmt::format("unsupported URL scheme '{}' (expected ldap, ldaps or ldapi)", scheme);
    }
  }
  return any ? "" : "must not be empty";
}

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

bool is_http_url(std::string_view url) {
  const std::string l = lower(url.substr(0, 8));
  return l.starts_with("https://") || l.starts_with("http://");
}

// The group matcher of a [[rule]] or [[institution_rule]].
struct MatcherRead {
  GroupMatcher matcher;
  bool valid = false;     // exactly one matcher, well-formed
  unsigned captures = 0;  // capture groups of a valid pattern
};

class DocumentReader {
 public:
  DocumentReader(const std::string& file, ConfigDraft& draft)
      : file_(file), dir_(fs::absolute(fs::path(file)).parent_path()), draft_(draft) {}

  void read(const toml::table& document) {
    TableFields root(document, file_, "", draft_.issues);
    if (const toml::table* t = root.table("daemon")) read_daemon(*t);
    if (const toml::table* t = root.table("safety")) read_safety(*t);
    if (const toml::table* t = root.table("http")) read_http(*t);
    if (const toml::table* t = root.table("handoff")) read_handoff(*t);
    if (const toml::table* t = root.table("audit")) read_audit(*t);
    each(root, "source", &DocumentReader::read_source);
    each(root, "permission", &DocumentReader::read_permission);
    each(root, "role", &DocumentReader::read_role);
    each(root, "institution", &DocumentReader::read_institution);
    each(root, "cluster", &DocumentReader::read_cluster);
    each(root, "rule", &DocumentReader::read_rule);
    each(root, "institution_rule", &DocumentReader::read_institution_rule);
    each(root, "client", &DocumentReader::read_client);
    root.finish();
  }

 private:
  using EntityReader = void (DocumentReader::*)(const toml::table&, std::size_t);

  void each(TableFields& root, std::string_view key, EntityReader read) {
    const std::vector<const toml::table*> tables = root.tables(key);
    for (std::size_t i = 0; i < tables.size(); ++i) (this->*read)(*tables[i], i);
  }

  // Remembers where each key of a scalar table was set (later drop-ins overwrite).
  void record_settings(const toml::table& table, std::string_view prefix) {
    for (auto&& [key, node] : table) {
      draft_.settings[fmt::format("{}.{}", prefix, key.str())] =
          ConfigLocation{file_, toml_line(node)};
    }
  }

  ConfigOrigin origin(const toml::table& table, std::string key) const {
    return ConfigOrigin{file_, std::move(key), &table};
  }

  // "kind[index]", or "kind[name]" when the entity has a non-empty string `name_key`.
  static std::string entity_key(const toml::table& table, std::string_view kind, std::size_t index,
                                std::string_view name_key) {
    if (const auto* name = table.get_as<std::string>(name_key); name && !name->get().empty()) {
      return fmt::format("{}[{}]", kind, name->get());
    }
    return fmt::format("{}[{}]", kind, index);
  }

  // A non-secret file path: resolved, not checked (the component using it reports).
  void read_path(TableFields& f, std::string_view key, std::string& out) {
    std::string value;
    if (!f.read(key, value)) return;
    out = value.empty() ? std::string() : resolve_config_path(dir_, value);
  }

  // A file holding a secret: resolved (credentials directory first) and required to exist.
  // Only the path is ever reported, never the content.
  void read_secret_path(TableFields& f, std::string_view key, std::string& out) {
    std::string value;
    if (!f.read(key, value) || value.empty()) return;  // empty: unset (require() reports)
    out = resolve_secret_path(dir_, value, draft_.credentials_directory);
    std::error_code ec;
    const fs::file_status status = fs::status(out, ec);
    if (!fs::exists(status)) {
      const bool looked_in_credentials =
          fs::path(value).is_relative() && draft_.credentials_directory.has_value();
      f.error(key, fmt::format("secret file not found: {}{}", out,
                               looked_in_credentials ? " (nor in $CREDENTIALS_DIRECTORY)" : ""));
    } else if (!fs::is_regular_file(status)) {
      f.error(key, fmt::format("secret file is not a regular file: {}", out));
    }
  }

  // A string that must not be empty when given.
  void read_nonempty(TableFields& f, std::string_view key, std::string& out) {
    std::string value;
    if (!f.read(key, value)) return;
    if (value.empty()) {
      f.error(key, "must not be empty");
      return;
    }
    out = std::move(value);
  }

  void read_second_factor(TableFields& f, SecondFactorPolicy& out) {
    std::string value;
    if (!f.read("skip_second_factor", value)) return;
    if (const auto policy = second_factor_policy_from_string(value)) {
      out = *policy;
    } else {
      f.error("skip_second_factor", "must be \"always\" or \"when_mfa\"");
    }
  }

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
    f.read("max_connections", h.max_connections, 1, 100'000);
    f.read("idle_timeout", h.idle_timeout_seconds, 1, 3600);
    f.read("request_timeout", h.request_timeout_seconds, 1, 3600);
    f.read("threads", h.threads, 1, 1024);
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

  // `ldif`: the source evaluates its filters itself (ldif_filter_match.h).
  void read_user_schema(const toml::table& t, const std::string& prefix, bool ldif,
                        LdapUserSchema& u) {
    TableFields f(t, file_, prefix, draft_.issues);
    f.read("base", u.base);
    read_filter(f, ldif, u.filter);
    read_nonempty(f, "id_attr", u.id_attr);
    read_nonempty(f, "username_attr", u.username_attr);
    f.read("display_name_attr", u.display_name_attr);
    f.read("email_attr", u.email_attr);
    f.read("disabled_attr", u.disabled_attr);
    f.read("disabled_values", u.disabled_values);
    f.finish();
  }

  void read_group_schema(const toml::table& t, const std::string& prefix, bool ldif,
                         LdapGroupSchema& g) {
    TableFields f(t, file_, prefix, draft_.issues);
    f.read("base", g.base);
    read_filter(f, ldif, g.filter);
    read_nonempty(f, "id_attr", g.id_attr);
    read_nonempty(f, "name_attr", g.name_attr);
    f.read("member_attrs", g.member_attrs);
    f.read("member_uid_attr", g.member_uid_attr);
    f.finish();
  }

  // An RFC 4515 filter, parsed as the ldif source parses it; on an ldif source also one the
  // source can evaluate without a server.
  void read_filter(TableFields& f, bool ldif, std::string& out) {
    std::string filter;
    if (!f.read("filter", filter)) return;
    auto parsed = parse_ldap_filter(filter);
    if (!parsed) {
      f.error("filter", fmt::format("not a valid LDAP filter: {}", parsed.error().message));
      return;
    }
    if (ldif) {
      if (std::string problem = ldif_filter_unsupported(*parsed); !problem.empty()) {
        f.error("filter", std::move(problem));
        return;
      }
    }
    out = std::move(filter);
  }

  // "missing required key (why)" / "must not be empty" for a key a source type needs.
  static void require_for_type(TableFields& f, std::string_view key, std::string_view why) {
    if (!f.has(key)) f.error(key, fmt::format("missing required key ({})", why));
  }

  void read_source(const toml::table& t, std::size_t index) {
    const std::string key = entity_key(t, "source", index, "name");
    TableFields f(t, file_, key, draft_.issues);
    SourceConfig s;
    s.config_file = file_;
    f.read("name", s.name);
    f.require("name");
    f.read("type", s.type);
    f.require("type");
    if (s.type == "ad") {
      s.users = active_directory_user_schema();
      s.groups = active_directory_group_schema();
    } else if (!s.type.empty() && s.type != "ldap" && s.type != "ldif") {
      f.error("type", "must be one of \"ldif\", \"ldap\", \"ad\"");
    }
    const bool is_ldif = s.type == "ldif";
    const bool is_ldap = s.type == "ldap" || s.type == "ad";

    // A key the source's type does not use is an error: a silently ignored setting looks
    // like one in force.
    if (is_ldap) {
      f.refuse("path", fmt::format("path is for ldif sources; an {} source reads the directory "
                                   "at url: remove it",
                                   s.type));
    } else {
      read_path(f, "path", s.file_path);
    }
    if (is_ldif) {
      require_for_type(f, "path", "an ldif source reads this file");
      if (f.has("path") && t.get_as<std::string>("path") && s.file_path.empty()) {
        f.error("path", "must not be empty");
      }
      refuse_server_keys(f);
    } else {
      read_server_keys(f, t, s, is_ldap);
    }
    if (const toml::table* users = f.table("users")) {
      read_user_schema(*users, f.key_path("users"), is_ldif, s.users);
    }
    if (const toml::table* groups = f.table("groups")) {
      read_group_schema(*groups, f.key_path("groups"), is_ldif, s.groups);
    }
    f.finish();
    draft_.config.sources.push_back(std::move(s));
    draft_.sources.push_back(origin(t, key));
  }

  // The keys of an ldap or ad source (and of a source of unknown type, so that all its
  // problems show at once); an ldif source uses none of them (refuse_server_keys).
  void read_server_keys(TableFields& f, const toml::table& t, SourceConfig& s, bool is_ldap) {
    f.read("url", s.url);
    if (is_ldap) {
      require_for_type(f, "url", "ldap and ad sources connect to this URL");
      if (t.get_as<std::string>("url") != nullptr) {
        if (const std::string problem = ldap_url_problem(s.url); !problem.empty()) {
          f.error("url", problem);
        }
      }
    }
    f.read("start_tls", s.start_tls);
    if (s.start_tls && lower(s.url).find("ldaps://") != std::string::npos) {
      f.error("start_tls", "start_tls is for ldap:// URLs; ldaps:// is already TLS");
    }
    f.read("bind_dn", s.bind_dn);
    read_secret_path(f, "bind_password_file", s.bind_password_file);
    f.refuse("bind_password", fmt::format(kInlineSecretMessage, "bind_password_file"));
    f.read("sasl_external", s.sasl_external);
    if (s.sasl_external && (!s.bind_dn.empty() || f.has("bind_password_file"))) {
      f.error("sasl_external",
              "sasl_external authenticates by certificate or socket peer: remove bind_dn and "
              "bind_password_file");
    } else if (f.has("bind_password_file") && s.bind_dn.empty()) {
      f.error("bind_password_file", "a bind password needs bind_dn");
    }
    read_path(f, "ca_file", s.ca_file);
    f.read("tls_verify", s.tls_verify);
    f.read("page_size", s.page_size, 1, 100'000);
    f.read("timeout", s.timeout_seconds, 1, 3600);
    f.read("incremental", s.incremental);
    f.read("reconcile_interval", s.reconcile_seconds, 1, 30 * 24 * 3600);
    f.read("poll_interval", s.poll_seconds, 1, 3600);
    if (f.has("poll_interval") && !s.type.empty() && s.type != "ad") {
      f.error("poll_interval",
              "poll_interval is for ad sources (ldap sources get changes pushed by syncrepl)");
    }
  }

  // An ldif source reads its whole file on every pass: connection, TLS, bind, paging and
  // change-tracking settings would be ignored.
  static void refuse_server_keys(TableFields& f) {
    static constexpr std::array<std::string_view, 12> kLdapAndAd = {
        "url",           "start_tls",     "bind_dn",     "bind_password_file",
        "bind_password", "sasl_external", "ca_file",     "tls_verify",
        "page_size",     "timeout",       "incremental", "reconcile_interval"};
    for (const std::string_view key : kLdapAndAd) {
      f.refuse(key, fmt::format("{} is for ldap and ad sources; an ldif source only reads its "
                                "file (path) on every pass: remove it",
                                key));
    }
    f.refuse("poll_interval",
             "poll_interval is for ad sources; an ldif source only reads its file (path) on every "
             "pass: remove it");
  }

  void read_permission(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("permission[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    Permission p;
    f.read("id", p.id);
    f.require("id");
    f.read("name", p.name);
    if (p.name.empty()) p.name = p.id;
    f.finish();
    draft_.config.mapping.permissions.push_back(std::move(p));
    draft_.permissions.push_back(origin(t, key));
  }

  void read_role(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("role[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    Role r;
    f.read("id", r.id);
    f.require("id");
    f.read("name", r.name);
    if (r.name.empty()) r.name = r.id;
    f.read("permissions", r.permissions);
    f.finish();
    draft_.config.mapping.roles.push_back(std::move(r));
    draft_.roles.push_back(origin(t, key));
  }

  void read_mis_url(TableFields& f, std::string& out) {
    std::string url;
    if (!f.read("mis_url", url)) return;
    if (!url.empty() && !is_http_url(url)) {
      f.error("mis_url", "must be an https:// (or http://) URL");
      return;
    }
    out = std::move(url);
  }

  void read_institution(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("institution[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    Institution i;
    f.read("id", i.id);
    f.require("id");
    f.read("name", i.name);
    if (i.name.empty()) i.name = i.id;
    read_mis_url(f, i.mis_url);
    read_second_factor(f, i.skip_second_factor);
    f.finish();
    draft_.config.mapping.institutions.push_back(std::move(i));
    draft_.institutions.push_back(origin(t, key));
  }

  void read_cluster(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("cluster[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    Cluster c;
    f.read("id", c.id);
    f.require("id");
    f.read("name", c.name);
    if (c.name.empty()) c.name = c.id;
    f.read("institutions", c.institutions);
    f.finish();
    draft_.config.mapping.clusters.push_back(std::move(c));
    draft_.clusters.push_back(origin(t, key));
  }

  MatcherRead read_matcher(TableFields& f) {
    static constexpr std::array<std::pair<std::string_view, GroupMatcher::Kind>, 3> kKeys = {{
        {"group_dn", GroupMatcher::Kind::Dn},
        {"group_id", GroupMatcher::Kind::StableId},
        {"group_pattern", GroupMatcher::Kind::Pattern},
    }};
    MatcherRead out;
    std::string_view first;
    bool all_valid = true;
    for (const auto& [key, kind] : kKeys) {
      std::string value;
      const bool ok = f.read(key, value);
      if (!f.has(key)) continue;
      if (!first.empty()) {
        f.error(key, fmt::format("give only one of group_dn, group_id or group_pattern ({} is "
                                 "also set)",
                                 first));
        all_valid = false;
      } else {
        first = key;
      }
      if (!ok) {  // wrong type, reported
        all_valid = false;
        continue;
      }
      if (value.empty()) {
        f.error(key, "must not be empty");
        all_valid = false;
        continue;
      }
      if (kind == GroupMatcher::Kind::Pattern) {
        if (auto pattern = GroupPattern::compile(value); pattern) {
          out.captures = static_cast<unsigned>(pattern->capture_count());
        } else {
          f.error(key, fmt::format("invalid regex: {}", pattern.error().message));
          all_valid = false;
        }
      }
      if (first == key) out.matcher = GroupMatcher{kind, value};
    }
    out.valid = all_valid && !first.empty();
    if (first.empty()) f.table_error("give one of group_dn, group_id or group_pattern");
    return out;
  }

  // Reports $N in `value` (at `key`, or element `index` of the array at `key`) that the
  // matcher cannot provide.
  void check_captures(TableFields& f, const MatcherRead& m, std::string_view key,
                      std::string_view value, std::optional<std::size_t> index = {}) {
    const int used = max_capture(value);
    if (used == 0 || !m.valid) return;
    std::string problem;
    if (m.matcher.kind != GroupMatcher::Kind::Pattern) {
      problem = fmt::format("'{}' uses ${} but only group_pattern has captures", value, used);
    } else if (static_cast<unsigned>(used) > m.captures) {
      problem = fmt::format("'{}' uses ${} but group_pattern has {} capture group(s)", value, used,
                            m.captures);
    } else {
      return;
    }
    if (index) {
      f.element_error(key, *index, std::move(problem));
    } else {
      f.error(key, std::move(problem));
    }
  }

  void check_captures(TableFields& f, const MatcherRead& m, std::string_view key,
                      const std::vector<std::string>& values) {
    for (std::size_t i = 0; i < values.size(); ++i) check_captures(f, m, key, values[i], i);
  }

  void read_rule(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("rule[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    MappingRule r;
    f.read("id", r.id);
    f.require("id");
    const MatcherRead m = read_matcher(f);
    r.group = m.matcher;
    std::string source;
    if (f.read("source", source)) {
      if (source.empty()) {
        f.error("source", "must not be empty (leave it out to match groups of every source)");
      } else {
        r.source = source;
      }
    }
    f.read("roles", r.roles);
    f.read("institutions", r.institutions);
    f.read("clusters", r.clusters);
    f.read("all_institutions", r.all_institutions);
    check_captures(f, m, "roles", r.roles);
    check_captures(f, m, "institutions", r.institutions);
    check_captures(f, m, "clusters", r.clusters);
    f.finish();
    draft_.config.mapping.rules.push_back(std::move(r));
    draft_.rules.push_back(origin(t, key));
  }

  void read_institution_rule(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("institution_rule[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    InstitutionRule r;
    f.read("id", r.id);
    f.require("id");
    const MatcherRead m = read_matcher(f);
    r.group = m.matcher;
    read_nonempty(f, "institution_id", r.institution_id);
    f.read("name", r.name);
    read_mis_url(f, r.mis_url);
    read_second_factor(f, r.skip_second_factor);
    if (!f.has("institution_id") && m.valid &&
        (m.matcher.kind != GroupMatcher::Kind::Pattern || m.captures == 0)) {
      f.table_error(
          "institution_id defaults to \"$1\": use a group_pattern with a capture group, or set "
          "institution_id");
    } else {
      check_captures(f, m, "institution_id", r.institution_id);
    }
    check_captures(f, m, "name", r.name);
    check_captures(f, m, "mis_url", r.mis_url);
    f.finish();
    draft_.config.mapping.institution_rules.push_back(std::move(r));
    draft_.institution_rules.push_back(origin(t, key));
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

  const std::string& file_;
  fs::path dir_;
  ConfigDraft& draft_;
};

}  // namespace

void read_config_document(const toml::table& document, const std::string& file,
                          ConfigDraft& draft) {
  DocumentReader(file, draft).read(document);
}

}  // namespace trustgate
