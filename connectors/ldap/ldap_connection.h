#pragma once
// One bound connection to an LDAP server: URL, TLS (StartTLS or ldaps://, certificates verified
// unless tls_verify is false) and the bind (simple, anonymous or SASL EXTERNAL) as configured.
// Not thread-safe: one thread uses a connection at a time. The password never reaches a log or
// an Error.
#include <chrono>
#include <string>

#include "common/error.h"
#include "connectors/ldap/ldap_handles.h"
#include "connectors/ldap/ldap_source_options.h"

namespace trustgate {

class LdapConnection {
 public:
  // Connects and binds. Errors: "ldap.config" (bad URL or options), "ldap.tls" (TLS set-up or
  // certificate verification failed; the message says so and carries libldap's diagnostic),
  // "ldap.connect" (server unreachable), "ldap.bind" (credentials refused).
  static Result<LdapConnection> open(const LdapSourceOptions& options);

  // open() in its two steps, for a connection test that times and reports each. connect():
  // the connection and its TLS (the StartTLS exchange, or the ldaps:// handshake), no bind;
  // errors "ldap.config", "ldap.tls", "ldap.connect" as open(). bind(): the configured bind
  // on it; errors "ldap.tls" (an ldaps:// handshake done only now), "ldap.connect",
  // "ldap.bind".
  static Result<LdapConnection> connect(const LdapSourceOptions& options);
  Result<void> bind(const LdapSourceOptions& options);

  LDAP* get() const { return ld_.get(); }
  const std::string& url() const { return url_; }
  std::chrono::seconds timeout() const { return timeout_; }

  // libldap's diagnostic message for the last operation ("" when none).
  std::string diagnostic() const;
  // "<what> failed on <url>: <ldap_err2string(rc)> (<diagnostic>)" as an Error with `code`.
  Error error(const std::string& code, const std::string& what, int rc) const;

 private:
  LdapConnection(LdapPtr ld, std::string url, std::chrono::seconds timeout)
      : ld_(std::move(ld)), url_(std::move(url)), timeout_(timeout) {}

  LdapPtr ld_;
  std::string url_;
  std::chrono::seconds timeout_;
};

}  // namespace trustgate
