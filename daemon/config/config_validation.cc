#include "daemon/config/config_validation.h"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace trustgate {
namespace {

bool uses_capture(std::string_view s) {
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '$' && s[i + 1] >= '1' && s[i + 1] <= '9') return true;
  }
  return false;
}

// Reports the second and later entities with an id already taken; returns the set of ids.
template <typename T, typename IdOf>
std::set<std::string, std::less<>> unique_ids(ConfigDraft& draft, const std::vector<T>& items,
                                              const std::vector<ConfigOrigin>& origins,
                                              std::string_view what, std::string_view field,
                                              IdOf id_of) {
  std::map<std::string, std::size_t, std::less<>> first;
  for (std::size_t i = 0; i < items.size() && i < origins.size(); ++i) {
    const std::string& id = id_of(items[i]);
    if (id.empty()) continue;  // reported as missing when read
    const auto [it, inserted] = first.emplace(id, i);
    if (inserted) continue;
    const ConfigOrigin& previous = origins[it->second];
    draft.add_issue(origins[i], field, origins[i].line(field),
                    fmt::format("duplicate {} '{}' (first declared at {}:{})", what, id,
                                previous.file, previous.line(field)));
  }
  std::set<std::string, std::less<>> ids;
  for (const auto& [id, index] : first) ids.insert(id);
  return ids;
}

class Validator {
 public:
  explicit Validator(ConfigDraft& draft) : draft_(draft) {}

  void run() {
    const MappingConfig& m = draft_.config.mapping;
    auto id = [](const auto& item) -> const std::string& { return item.id; };
    permissions_ = unique_ids(draft_, m.permissions, draft_.permissions, "permission id", "id", id);
    permissions_.emplace(kLoginPermission);
    roles_ = unique_ids(draft_, m.roles, draft_.roles, "role id", "id", id);
    institutions_ =
        unique_ids(draft_, m.institutions, draft_.institutions, "institution id", "id", id);
    clusters_ = unique_ids(draft_, m.clusters, draft_.clusters, "cluster id", "id", id);
    unique_ids(draft_, m.rules, draft_.rules, "rule id", "id", id);
    unique_ids(draft_, m.institution_rules, draft_.institution_rules, "institution_rule id", "id",
               id);
    unique_ids(draft_, draft_.config.clients, draft_.clients, "client id", "id", id);
    sources_ = unique_ids(draft_, draft_.config.sources, draft_.sources, "source name", "name",
                          [](const SourceConfig& s) -> const std::string& { return s.name; });
    // Institutions named in rules, clusters and clients may come from the directory.
    directory_defines_institutions_ = !m.institution_rules.empty();

    check_roles();
    check_clusters();
    check_rules();
    check_clients();
    check_http();
  }

 private:
  // Reports every element of `values` (the array `field` of `origin`) not in `known`.
  void check_refs(const ConfigOrigin& origin, std::string_view field,
                  const std::vector<std::string>& values,
                  const std::set<std::string, std::less<>>& known, std::string_view what,
                  std::string_view hint = "") {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (uses_capture(values[i]) || known.contains(values[i])) continue;
      draft_.add_issue(origin, field, origin.element_line(field, i),
                       fmt::format("unknown {} '{}'{}", what, values[i], hint));
    }
  }

  void check_institution_refs(const ConfigOrigin& origin, std::string_view field,
                              const std::vector<std::string>& values) {
    if (directory_defines_institutions_) return;
    check_refs(origin, field, values, institutions_, "institution");
  }

  void check_roles() {
    const auto& roles = draft_.config.mapping.roles;
    for (std::size_t i = 0; i < roles.size(); ++i) {
      check_refs(draft_.roles[i], "permissions", roles[i].permissions, permissions_, "permission",
                 " (declare it in a [[permission]] table)");
    }
  }

  void check_clusters() {
    const auto& clusters = draft_.config.mapping.clusters;
    for (std::size_t i = 0; i < clusters.size(); ++i) {
      check_institution_refs(draft_.clusters[i], "institutions", clusters[i].institutions);
    }
  }

  void check_rules() {
    const auto& rules = draft_.config.mapping.rules;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const MappingRule& r = rules[i];
      const ConfigOrigin& origin = draft_.rules[i];
      check_refs(origin, "roles", r.roles, roles_, "role");
      check_institution_refs(origin, "institutions", r.institutions);
      check_refs(origin, "clusters", r.clusters, clusters_, "cluster");
      if (r.source && !sources_.contains(*r.source)) {
        draft_.add_issue(origin, "source", origin.line("source"),
                         fmt::format("unknown source '{}'", *r.source));
      }
    }
  }

  void check_clients() {
    const auto& clients = draft_.config.clients;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      const ClientConfig& c = clients[i];
      if (c.certificate_name && draft_.config.http.tls_client_ca_file.empty()) {
        const ConfigOrigin& origin = draft_.clients[i];
        draft_.add_issue(origin, "certificate_name", origin.line("certificate_name"),
                         "a client certificate name needs [http] tls_client_ca");
      }
      if (c.kind != ClientKind::School || c.institution.empty()) continue;
      if (directory_defines_institutions_ || institutions_.contains(c.institution)) continue;
      const ConfigOrigin& origin = draft_.clients[i];
      draft_.add_issue(origin, "institution", origin.line("institution"),
                       fmt::format("unknown institution '{}'", c.institution));
    }
  }

  void check_http() {
    const HttpConfig& h = draft_.config.http;
    const std::string& main = draft_.config.path;
    if (h.tls_cert_file.empty() != h.tls_key_file.empty()) {
      const std::string given = h.tls_cert_file.empty() ? "http.tls_key" : "http.tls_cert";
      draft_.add_setting_issue(given, main, "TLS needs both tls_cert and tls_key");
    }
    if (!h.tls_client_ca_file.empty() && h.tls_cert_file.empty()) {
      draft_.add_setting_issue("http.tls_client_ca", main,
                               "client certificates need TLS: set tls_cert and tls_key");
    }
    if (h.require_client_cert && h.tls_client_ca_file.empty()) {
      draft_.add_setting_issue("http.require_client_cert", main,
                               "require_client_cert needs tls_client_ca");
    }
  }

  ConfigDraft& draft_;
  std::set<std::string, std::less<>> permissions_, roles_, institutions_, clusters_, sources_;
  bool directory_defines_institutions_ = false;
};

}  // namespace

void validate_config(ConfigDraft& draft) { Validator(draft).run(); }

}  // namespace trustgate
