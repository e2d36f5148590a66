#pragma once
// trustgate's configuration as values; config_loader.h reads them from one TOML file plus an
// optional drop-in folder (*.toml, in name order). Secrets are never inline: each is a path to
// a file, resolved relative to $CREDENTIALS_DIRECTORY when set and the path is relative, else to
// the main config file.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "connectors/ldap/ldap_source_options.h"
#include "mapping/mapping_config.h"

namespace trustgate {

// The directory schema of an ldap/ad source is the connector's own (one definition, copied
// into LdapSourceOptions as is).
using LdapUserSchema = LdapUserOptions;
using LdapGroupSchema = LdapGroupOptions;

struct SourceConfig {
  std::string name;
  std::string type;         // "ldif", "ldap", "ad"
  std::string file_path;    // ldif
  std::string config_file;  // where this source was declared (for errors)

  // ldap / ad
  std::string url;  // ldap://, ldaps://, ldapi://
  bool start_tls = false;
  std::string bind_dn;
  std::string bind_password_file;  // resolved path; the password is read at connect time
  bool sasl_external = false;
  std::string ca_file;
  bool tls_verify = true;  // certificate verification; off only when explicitly set
  int page_size = 500;
  int timeout_seconds = 30;
  LdapUserSchema users;
  LdapGroupSchema groups;
  bool incremental = true;       // syncrepl (ldap) / uSNChanged polling (ad)
  int reconcile_seconds = 3600;  // periodic full reconcile
  int poll_seconds = 15;         // ad: least time between two uSNChanged polls
};

struct SafetyConfig {
  std::size_t max_grant_removals = 500;  // refuse a revision removing more grants than this
  double max_grant_removal_share = 0.2;  // ... or more than this share of current grants
};

enum class ClientKind { Site, School, Admin };

struct ClientConfig {
  std::string id;
  ClientKind kind = ClientKind::Site;
  std::string institution;  // School clients: the institution it is bound to
  std::string secret_file;  // resolved path
  // The name its TLS client certificate must carry (subject CN or a DNS subjectAltName) when
  // [http] tls_client_ca is set; nullopt: the client's id, and a certificate is then required
  // only when the request presents one or require_client_cert is on.
  std::optional<std::string> certificate_name;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:8470";
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;  // TLS when cert+key set
  bool require_client_cert = false;
  std::size_t max_body_bytes = 64 * 1024;
  int max_connections = 10'000;      // open at once, in all (an idle one costs a few KiB)
  int idle_timeout_seconds = 10;     // waiting for a request (the first, or the next on keep-alive)
  int request_timeout_seconds = 10;  // reading a request's head, then its body: each in total
  int threads = 32;     // worker threads for requests that wait (a handoff, for its durable commit)
  int event_loops = 0;  // threads multiplexing the connections; 0: one per 2 cores
  // Concurrent connections per client IP address. 0: a tenth of max_connections for remote
  // addresses and no cap for loopback ones (all local clients share 127.0.0.1); N: N for every
  // address.
  int max_connections_per_client = 0;
  // Failed authentications per claimed client id (and per peer address) and window before
  // requests under it are answered 429; 0: no throttling.
  int auth_max_failures = 10;
  int auth_failure_window_seconds = 60;
};

struct HandoffConfig {
  int ttl_seconds = 30;             // at most 300
  int max_age_seconds = 12 * 3600;  // a MAT/LA login older than this is not handed off
};

// The audit log (audit_log.h): retention and the rate of failure rows.
struct AuditConfig {
  int retention_days = 365;          // rows older are deleted; 0: no age limit
  std::size_t max_rows = 5'000'000;  // the oldest rows beyond are deleted; 0: no count limit
  int failure_rows_per_second = 5;   // per client and action; 0: no limit
};

struct Config {
  std::string path;  // the main file
  std::string database = "/var/lib/trustgate/trustgate.db";
  std::string log_level = "info";
  int sync_interval_seconds = 300;
  int batch_millis = 200;  // incremental changes are batched this long before an apply
  SafetyConfig safety;
  HttpConfig http;
  HandoffConfig handoff;
  AuditConfig audit;
  std::vector<SourceConfig> sources;
  std::vector<ClientConfig> clients;
  MappingConfig mapping;
};

// The schema defaults a source of type "ad" starts from (fields given in [source.users] /
// [source.groups] override them): objectGUID ids, sAMAccountName, member. Groups use the
// filter every source type shares (kDefaultGroupFilter).
LdapUserSchema active_directory_user_schema();
LdapGroupSchema active_directory_group_schema();

}  // namespace trustgate
