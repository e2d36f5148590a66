#pragma once
// Everything an LdapSource needs, mirroring daemon/config/config.h's SourceConfig field by field
// (except that the bind password is the value: the daemon reads the secret file).
#include <chrono>
#include <string>
#include <vector>

#include "connectors/directory_defaults.h"

namespace trustgate {

struct LdapUserOptions {
  std::string base;
  std::string filter{kDefaultUserFilter};
  std::string id_attr = "entryUUID";
  std::string username_attr = "uid";
  std::string display_name_attr = "cn";
  std::string email_attr = "mail";
  // A user is disabled when this attribute has one of `disabled_values` (case-insensitive).
  std::string disabled_attr;  // empty: nobody is disabled by attribute
  std::vector<std::string> disabled_values = {"TRUE", "disabled"};
};

struct LdapGroupOptions {
  std::string base;
  std::string filter{kDefaultGroupFilter};
  std::string id_attr = "entryUUID";
  std::string name_attr = "cn";
  std::vector<std::string> member_attrs = {"member", "uniqueMember"};
  std::string member_uid_attr = "memberUid";
};

struct LdapSourceOptions {
  std::string name;
  std::string url;  // ldap://, ldaps://, ldapi://
  bool start_tls = false;
  std::string bind_dn;         // empty with an empty password: anonymous bind
  std::string bind_password;   // the secret itself; never logged
  bool sasl_external = false;  // SASL EXTERNAL (ldapi:// peer credentials or a TLS client cert)
  std::string ca_file;         // PEM CA bundle; empty: the system default
  bool tls_verify = true;      // certificate verification; off only when explicitly set
  int page_size = 500;
  std::chrono::seconds timeout{30};  // network connect and per-operation timeout
  LdapUserOptions users;
  LdapGroupOptions groups;
  bool incremental = true;  // RFC 4533 syncrepl refreshAndPersist
};

}  // namespace trustgate
