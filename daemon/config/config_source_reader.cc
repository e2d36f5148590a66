#include "daemon/config/config_source_reader.h"

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
#include "daemon/config/config_table_reader.h"

namespace trustgate {
namespace {

using namespace config_reading;

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

class SourceReader : public TableReader {
 public:
  using TableReader::TableReader;

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
};

}  // namespace

void read_source_tables(TableFields& root, const std::string& file, ConfigDraft& draft) {
  SourceReader reader(file, draft);
  const std::vector<const toml::table*> tables = root.tables("source");
  for (std::size_t i = 0; i < tables.size(); ++i) reader.read_source(*tables[i], i);
}

}  // namespace trustgate
