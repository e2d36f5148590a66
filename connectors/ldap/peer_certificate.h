#pragma once
// The certificate a directory server presented, read (and checked again) with OpenSSL for the
// connection test: who it names, who issued it, until when, and, when libldap refused it, why
// (an unknown CA, a name mismatch, an expiry) in words a sysadmin can act on. libldap itself
// only says "Can't contact LDAP server".
#include <ldap.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"

namespace trustgate {

struct PeerCertificate {
  std::string subject;             // "CN=localhost"
  std::string issuer;              // "CN=trustgate test CA"
  std::string not_after;           // "2026-12-07T04:45:00Z"
  bool expired = false;            // at the time given to describe_certificate
  std::vector<std::string> names;  // subjectAltName entries: "DNS:localhost", "IP:127.0.0.1"
};

// The DER bytes of the peer certificate of `ld`'s TLS session; "" when it has none.
std::string peer_certificate_der(LDAP* ld);

// Error "tls.certificate" when `der` is no certificate.
Result<PeerCertificate> describe_certificate(const std::string& der,
                                             std::chrono::system_clock::time_point now);

// Why a client verifying like libldap (the CAs of `ca_file`, or the system's when empty; the
// name `host`; the time `now`) refuses `der`, starting with the kind of problem: "unknown CA:
// ...", "expired: ...", "not yet valid: ...", "name mismatch: ...". "" when it does not.
std::string certificate_problem(const std::string& der, const std::string& ca_file,
                                const std::string& host, std::chrono::system_clock::time_point now);

}  // namespace trustgate
