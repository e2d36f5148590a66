#pragma once
// The connection test of an ldap or ad source (trustgatectl test-connection): the steps a sync
// goes through, one at a time, each timed and each failure named plainly, stopping at the
// first that fails:
//   dns       every host of the url list resolves (getaddrinfo)
//   tcp       a TCP connection to each server within the timeout (ldapi://: "socket")
//   tls       the StartTLS or ldaps:// handshake with the source's verification, reporting the
//             protocol, cipher and certificate, and on a refused certificate why (unknown CA,
//             name mismatch, expired); "none" for plain ldap:// and ldapi://
//   bind      the configured bind (simple, anonymous, SASL EXTERNAL) and the SSF
//   base      the users' and groups' base DNs exist (base-scope reads)
//   users     how many entries the users filter selects (a paged search for no attributes)
//   groups    the same for the groups filter
//   controls  the root DSE's supportedControl: paging, syncrepl, AD's notification, DirSync
//             and show-deleted, and whether the source's sync mode has what it needs
// It connects exactly as LdapConnection does (same options, same TLS set-up) and reads only;
// the password goes to the server and nowhere else.
#include <string>

#include "common/clock.h"
#include "connectors/connection_report.h"
#include "connectors/ldap/ldap_source_options.h"

namespace trustgate {

class LdapConnectionProbe {
 public:
  // `type`: "ldap" (OpenLDAP and alike; incremental = syncrepl) or "ad" (incremental =
  // uSNChanged polling).
  LdapConnectionProbe(LdapSourceOptions options, std::string type, const Clock& clock);

  ConnectionReport run() const;

 private:
  LdapSourceOptions options_;
  std::string type_;
  const Clock& clock_;
};

}  // namespace trustgate
