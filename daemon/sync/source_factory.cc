#include "daemon/sync/source_factory.h"

#include <fmt/format.h>

#include "common/private_files.h"
#include "connectors/ldap/ad_source.h"
#include "connectors/ldap/ldap_source.h"
#include "connectors/ldif/ldif_source.h"

namespace trustgate {

LdifSourceOptions ldif_source_options(const SourceConfig& c) {
  LdifSourceOptions o;
  o.name = c.name;
  o.path = c.file_path;
  o.users = {.base = c.users.base, .filter = c.users.filter};
  o.groups = {.base = c.groups.base, .filter = c.groups.filter};
  o.id_attr = c.users.id_attr;
  o.group_id_attr = c.groups.id_attr;
  o.group_name_attr = c.groups.name_attr;
  o.username_attrs = {c.users.username_attr};
  if (c.users.username_attr != "sAMAccountName") o.username_attrs.push_back("sAMAccountName");
  o.display_name_attrs = {c.users.display_name_attr, "cn"};
  o.email_attr = c.users.email_attr;
  o.disabled_attr = c.users.disabled_attr;
  o.disabled_values = c.users.disabled_values;
  o.member_attrs = c.groups.member_attrs;
  o.member_uid_attr = c.groups.member_uid_attr;
  return o;
}

Result<LdapSourceOptions> ldap_source_options(const SourceConfig& c) {
  LdapSourceOptions o;
  o.name = c.name;
  o.url = c.url;
  o.start_tls = c.start_tls;
  o.bind_dn = c.bind_dn;
  if (!c.bind_password_file.empty()) {
    auto secret = read_secret(c.bind_password_file);
    if (!secret) return std::unexpected(secret.error());
    o.bind_password = std::move(*secret);
  }
  o.sasl_external = c.sasl_external;
  o.ca_file = c.ca_file;
  o.tls_verify = c.tls_verify;
  o.page_size = c.page_size;
  o.timeout = std::chrono::seconds(c.timeout_seconds);
  o.users = c.users;
  o.groups = c.groups;
  o.incremental = c.incremental;
  return o;
}

namespace {

std::unique_ptr<DirectorySource> make_ldif(const SourceConfig& c) {
  return std::make_unique<LdifSource>(ldif_source_options(c));
}

Result<std::unique_ptr<DirectorySource>> make_ldap(const SourceConfig& c, const Clock& clock) {
  auto options = ldap_source_options(c);
  if (!options) return std::unexpected(options.error());
  LdapSourceOptions o = std::move(*options);
  // AD: uSNChanged polling pinned to one DC; the sync loop schedules the full reconcile.
  if (c.type == "ad") {
    return make_ad_source(std::move(o), clock,
                          AdSyncOptions{.poll_interval = std::chrono::seconds(c.poll_seconds)});
  }
  return std::unique_ptr<DirectorySource>(std::make_unique<LdapSource>(std::move(o)));
}

}  // namespace

Result<std::unique_ptr<DirectorySource>> make_source(const SourceConfig& c, const Clock& clock) {
  if (c.type == "ldif") return make_ldif(c);
  if (c.type == "ldap" || c.type == "ad") return make_ldap(c, clock);
  return fail("config.invalid", fmt::format("source '{}': unsupported type '{}'", c.name, c.type));
}

Result<std::vector<std::unique_ptr<DirectorySource>>> make_sources(const Config& config,
                                                                   const Clock& clock) {
  std::vector<std::unique_ptr<DirectorySource>> out;
  for (const auto& c : config.sources) {
    auto s = make_source(c, clock);
    if (!s) return std::unexpected(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

std::vector<DirectorySource*> pointers(const std::vector<std::unique_ptr<DirectorySource>>& owned) {
  std::vector<DirectorySource*> out;
  for (const auto& s : owned) out.push_back(s.get());
  return out;
}

}  // namespace trustgate
