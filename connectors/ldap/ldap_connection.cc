#include "connectors/ldap/ldap_connection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>

namespace trustgate {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool starts_with_ci(const std::string& s, std::string_view prefix) {
  return lower(s.substr(0, prefix.size())) == prefix;
}

std::string handle_diagnostic(LDAP* ld) {
  char* msg = nullptr;
  if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) != LDAP_OPT_SUCCESS || !msg) return {};
  std::string out(msg);
  ldap_memfree(msg);
  return out;
}

// A handle for `options.url` with its TLS policy (no connection yet). On failure: null, and
// `error` says why.
LdapPtr make_handle(const LdapSourceOptions& options, bool verify, Error& error) {
  LDAP* raw = nullptr;
  int rc = ldap_initialize(&raw, options.url.c_str());
  LdapPtr ld(raw);
  if (rc != LDAP_SUCCESS || !ld) {
    error = Error{"ldap.config", fmt::format("source {}: invalid LDAP url '{}': {}", options.name,
                                             options.url, ldap_err2string(rc))};
    return nullptr;
  }
  const int version = LDAP_VERSION3;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(options.timeout.count());
  const int require_cert = verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
  if (ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &require_cert) != LDAP_OPT_SUCCESS) {
    error = Error{"ldap.config", fmt::format("source {}: cannot set LDAP options", options.name)};
    return nullptr;
  }
  if (!options.ca_file.empty() && ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE,
                                                  options.ca_file.c_str()) != LDAP_OPT_SUCCESS) {
    error = Error{"ldap.tls",
                  fmt::format("source {}: cannot use CA file '{}'", options.name, options.ca_file)};
    return nullptr;
  }
  // The TLS options above only take effect in a new TLS context created on this handle.
  const int is_server = 0;
  if (ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &is_server) != LDAP_OPT_SUCCESS) {
    error =
        Error{"ldap.tls", fmt::format("source {}: cannot create a TLS context (CA file '{}'): {}",
                                      options.name, options.ca_file, handle_diagnostic(ld.get()))};
    return nullptr;
  }
  return ld;
}

// libldap reports a failed certificate check only as "Can't contact LDAP server" or "Connect
// error". To tell that apart from an unreachable server, set up the same TLS session again
// without verification and without sending any credentials: if that works, the certificate
// was the problem.
bool handshake_works_without_verification(const LdapSourceOptions& options) {
  Error ignored;
  LdapPtr ld = make_handle(options, /*verify=*/false, ignored);
  if (!ld) return false;
  if (options.start_tls) return ldap_start_tls_s(ld.get(), nullptr, nullptr) == LDAP_SUCCESS;
  return ldap_connect(ld.get()) == LDAP_SUCCESS;
}

// Without a read-ahead layer libldap reads every message with two read() calls (its 8-byte
// header, then the rest) after a poll(): three system calls for each entry of a search, most of
// the time a 100k-entry read spent in trustgate. The layer sits below TLS, if any, and reads up
// to kReadAhead bytes at once; libldap asks it first whether data is waiting.
constexpr ber_len_t kReadAhead = 65535;  // liblber's largest buffer

void read_ahead(LDAP* h) {
  Sockbuf* sb = nullptr;
  if (ldap_get_option(h, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || sb == nullptr) return;
  if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_HAS_IO, &ber_sockbuf_io_readahead) == 1) return;
  if (ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead, LBER_SBIOD_LEVEL_PROVIDER, nullptr) != 0)
    return;
  ber_len_t size = kReadAhead;
  ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_READAHEAD, &size);
}

}  // namespace

std::string LdapConnection::diagnostic() const { return handle_diagnostic(ld_.get()); }

Error LdapConnection::error(const std::string& code, const std::string& what, int rc) const {
  const std::string diag = diagnostic();
  return Error{code, fmt::format("{} failed on {}: {}{}", what, url_, ldap_err2string(rc),
                                 diag.empty() ? "" : fmt::format(" ({})", diag))};
}

namespace {

bool is_ldaps(const LdapSourceOptions& options) { return starts_with_ci(options.url, "ldaps://"); }

bool verifying_tls(const LdapSourceOptions& options) {
  return options.tls_verify && (is_ldaps(options) || options.start_tls);
}

Error tls_error(const LdapSourceOptions& options, int code, const std::string& diag) {
  return Error{"ldap.tls",
               fmt::format("source {}: TLS certificate verification failed for {}: the server's "
                           "certificate is not trusted by {} or not issued for this host name "
                           "(libldap: {}{})",
                           options.name, options.url,
                           options.ca_file.empty() ? std::string("the system CAs")
                                                   : fmt::format("ca_file '{}'", options.ca_file),
                           ldap_err2string(code), diag.empty() ? "" : fmt::format(", {}", diag))};
}

bool no_connection(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT;
}

}  // namespace

Result<LdapConnection> LdapConnection::connect(const LdapSourceOptions& options) {
  const bool ldaps = is_ldaps(options);
  if (!starts_with_ci(options.url, "ldap://") && !ldaps && !starts_with_ci(options.url, "ldapi://"))
    return fail("ldap.config", fmt::format("source {}: url must start with ldap://, ldaps:// or "
                                           "ldapi://, got '{}'",
                                           options.name, options.url));
  if (ldaps && options.start_tls)
    return fail("ldap.config",
                fmt::format("source {}: start_tls cannot be used with ldaps://", options.name));

  Error setup_error;
  LdapPtr ld = make_handle(options, options.tls_verify, setup_error);
  if (!ld) return std::unexpected(setup_error);
  LdapConnection conn(std::move(ld), options.url, options.timeout);
  LDAP* h = conn.get();

  int rc = LDAP_SUCCESS;
  if (options.start_tls) {
    rc = ldap_start_tls_s(h, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) {
      const std::string diag = conn.diagnostic();
      if (verifying_tls(options) && handshake_works_without_verification(options))
        return std::unexpected(tls_error(options, rc, diag));
      return std::unexpected(
          conn.error(rc == LDAP_SERVER_DOWN ? "ldap.connect" : "ldap.tls", "StartTLS", rc));
    }
    return conn;
  }
  // The connection (and the ldaps:// handshake) now rather than at the bind.
  rc = ldap_connect(h);
  if (rc != LDAP_SUCCESS) {
    const std::string diag = conn.diagnostic();
    if (ldaps && verifying_tls(options) && handshake_works_without_verification(options))
      return std::unexpected(tls_error(options, rc, diag));
    return std::unexpected(conn.error(no_connection(rc) ? "ldap.connect" : "ldap.tls",
                                      ldaps ? "connect (TLS)" : "connect", rc));
  }
  return conn;
}

Result<void> LdapConnection::bind(const LdapSourceOptions& options) {
  LDAP* h = get();
  int rc = LDAP_SUCCESS;
  if (options.sasl_external) {
    // An empty initial response: "authorise as the identity the transport established".
    berval empty{0, const_cast<char*>("")};
    rc = ldap_sasl_bind_s(h, nullptr, "EXTERNAL", &empty, nullptr, nullptr, nullptr);
  } else {
    berval cred{static_cast<ber_len_t>(options.bind_password.size()),
                const_cast<char*>(options.bind_password.data())};
    rc = ldap_sasl_bind_s(h, options.bind_dn.empty() ? nullptr : options.bind_dn.c_str(),
                          LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
  }
  if (rc == LDAP_SUCCESS) return {};
  const std::string diag = diagnostic();
  if (no_connection(rc) && is_ldaps(options) && verifying_tls(options) &&
      handshake_works_without_verification(options))
    return std::unexpected(tls_error(options, rc, diag));
  if (no_connection(rc)) return std::unexpected(error("ldap.connect", "connect", rc));
  return std::unexpected(error("ldap.bind",
                               options.sasl_external ? std::string("SASL EXTERNAL bind")
                                                     : fmt::format("bind as '{}'", options.bind_dn),
                               rc));
}

Result<LdapConnection> LdapConnection::open(const LdapSourceOptions& options) {
  auto conn = connect(options);
  if (!conn) return conn;
  if (!options.tls_verify && (is_ldaps(options) || options.start_tls))
    spdlog::warn("ldap source {}: TLS certificate verification is OFF", options.name);
  if (auto bound = conn->bind(options); !bound) return std::unexpected(bound.error());
  read_ahead(conn->get());
  spdlog::debug("ldap source {}: connected to {}", options.name, options.url);
  return conn;
}

}  // namespace trustgate
