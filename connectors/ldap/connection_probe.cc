#include "connectors/ldap/connection_probe.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/evp.h>

#include <algorithm>
#include <optional>

#include "connectors/ldap/ad_base_read.h"
#include "connectors/ldap/ldap_connection.h"
#include "connectors/ldap/network_reach.h"
#include "connectors/ldap/paged_search.h"
#include "connectors/ldap/peer_certificate.h"

namespace trustgate {
namespace {

// The controls the root DSE is asked about, by the names the report gives them.
struct KnownControl {
  const char* name;
  const char* oid;
};
constexpr KnownControl kPaging{"paging", "1.2.840.113556.1.4.319"};
constexpr KnownControl kSyncrepl{"syncrepl", "1.3.6.1.4.1.4203.1.9.1.1"};
constexpr KnownControl kNotification{"notification", "1.2.840.113556.1.4.528"};
constexpr KnownControl kDirSync{"dirsync", "1.2.840.113556.1.4.841"};
constexpr KnownControl kShowDeleted{"show_deleted", "1.2.840.113556.1.4.417"};
constexpr KnownControl kControls[] = {kPaging, kSyncrepl, kNotification, kDirSync, kShowDeleted};

std::string parenthesised(const std::string& filter) {
  return !filter.empty() && filter.front() == '(' ? filter : "(" + filter + ")";
}

std::string tls_text_option(LDAP* ld, int option) {
  char* value = nullptr;  // libldap's own constant string: not freed
  if (ldap_get_option(ld, option, &value) != LDAP_OPT_SUCCESS || !value) return {};
  return value;
}

// The key length of a TLS cipher named by libldap's backend ("AES-256-GCM"); 0 when unknown.
int cipher_bits(const std::string& cipher) {
  if (cipher.empty()) return 0;
  EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, cipher.c_str(), nullptr);
  if (!c) return 0;
  const int bits = EVP_CIPHER_get_key_length(c) * 8;
  EVP_CIPHER_free(c);
  return bits;
}

// Times one step and appends it to the report.
class StepRecorder {
 public:
  StepRecorder(ConnectionReport& report, const Clock& clock) : report_(report), clock_(clock) {}

  template <typename Body>
  bool operator()(const std::string& name, Body&& body) {
    ConnectionStep step;
    step.name = name;
    step.ok = true;
    const auto start = clock_.steady_now();
    body(step);
    step.elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(clock_.steady_now() - start);
    report_.steps.push_back(std::move(step));
    return report_.steps.back().ok;
  }

 private:
  ConnectionReport& report_;
  const Clock& clock_;
};

void failed(ConnectionStep& step, std::string detail) {
  step.ok = false;
  step.detail = std::move(detail);
}

void add_certificate_facts(ConnectionStep& step, const PeerCertificate& cert) {
  step.facts.emplace_back("subject", cert.subject);
  step.facts.emplace_back("issuer", cert.issuer);
  step.facts.emplace_back("not_after", cert.not_after);
  std::string names;
  for (const auto& n : cert.names) names += (names.empty() ? "" : ", ") + n;
  if (!names.empty()) step.facts.emplace_back("names", names);
}

}  // namespace

LdapConnectionProbe::LdapConnectionProbe(LdapSourceOptions options, std::string type,
                                         const Clock& clock)
    : options_(std::move(options)), type_(std::move(type)), clock_(clock) {}

ConnectionReport LdapConnectionProbe::run() const {
  ConnectionReport report;
  report.source = options_.name;
  report.type = type_;
  StepRecorder step(report, clock_);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout);

  auto servers = parse_server_addresses(options_.url);
  if (!servers) {
    step("dns", [&](ConnectionStep& s) { failed(s, servers.error().message); });
    return report;
  }
  std::vector<LdapServerAddress> network, local;
  for (auto& a : *servers) (a.scheme == "ldapi" ? local : network).push_back(a);

  // dns, tcp: every server of the list, as libldap may use any of them.
  std::vector<std::vector<NetworkAddress>> resolved;
  if (!network.empty() && !step("dns", [&](ConnectionStep& s) {
        std::vector<std::string> lines;
        for (const auto& server : network) {
          auto addresses = resolve_host(server.host);
          if (!addresses) return failed(s, addresses.error().message);
          std::string list;
          for (const auto& a : *addresses) list += (list.empty() ? "" : ", ") + a.text;
          lines.push_back(fmt::format("{} -> {}", server.host, list));
          s.facts.emplace_back(server.host, list);
          resolved.push_back(std::move(*addresses));
        }
        s.detail = fmt::format("{}", fmt::join(lines, "; "));
      }))
    return report;
  if (!network.empty() && !step("tcp", [&](ConnectionStep& s) {
        std::vector<std::string> lines;
        for (std::size_t i = 0; i < network.size(); ++i) {
          std::vector<std::string> refusals;  // one per address tried, as the system says
          const NetworkAddress* reached = nullptr;
          for (const auto& address : resolved[i]) {
            auto connected = try_tcp_connect(address, network[i].port, timeout);
            if (connected) {
              reached = &address;
              break;
            }
            refusals.push_back(connected.error().message);
          }
          if (!reached)
            return failed(s, fmt::format("cannot connect to {}: {}", network[i].url,
                                         fmt::join(refusals, "; ")));
          lines.push_back(fmt::format("{} port {} open", reached->text, network[i].port));
        }
        s.detail = fmt::format("{}", fmt::join(lines, "; "));
      }))
    return report;
  if (!local.empty() && !step("socket", [&](ConnectionStep& s) {
        for (const auto& server : local) {
          if (server.host.empty()) {
            s.detail = "libldap's default ldapi:// socket (not checked here)";
            continue;
          }
          auto connected = try_unix_connect(server.host);
          if (!connected) return failed(s, "cannot connect: " + connected.error().message);
          s.detail = fmt::format("{} accepts connections", server.host);
        }
      }))
    return report;

  // tls: LdapConnection::connect, which for StartTLS and ldaps:// does the handshake.
  const bool ldaps = std::any_of(servers->begin(), servers->end(),
                                 [](const auto& a) { return a.scheme == "ldaps"; });
  const bool tls = ldaps || options_.start_tls;
  const std::string host = servers->empty() ? std::string() : servers->front().host;
  std::optional<LdapConnection> conn;
  int tls_bits = 0;
  if (!step(tls ? "tls" : "connect", [&](ConnectionStep& s) {
        auto opened = LdapConnection::connect(options_);
        if (!opened) {
          failed(s, opened.error().message);
          s.facts.emplace_back("error", opened.error().code);
          if (!tls || opened.error().code != "ldap.tls" || !options_.tls_verify) return;
          // libldap says only that the handshake failed: see the certificate without verifying
          // it (nothing is sent over that connection) and ask OpenSSL what is wrong with it.
          LdapSourceOptions unverified = options_;
          unverified.tls_verify = false;
          auto looked = LdapConnection::connect(unverified);
          const std::string der = looked ? peer_certificate_der(looked->get()) : std::string();
          if (der.empty()) return;
          std::string problem = certificate_problem(der, options_.ca_file, host, clock_.now());
          if (problem.empty()) problem = "refused by libldap, though OpenSSL accepts it";
          s.detail = "certificate not accepted: " + problem;
          s.facts.emplace_back("problem", problem.substr(0, problem.find(':')));
          if (auto cert = describe_certificate(der, clock_.now())) add_certificate_facts(s, *cert);
          return;
        }
        conn.emplace(std::move(*opened));
        if (!tls) {
          s.detail = local.size() == servers->size()
                         ? "none needed: ldapi:// is a local socket"
                         : "none: ldap:// without start_tls, so the password and the directory "
                           "cross the network in clear";
          s.facts.emplace_back("tls", false);
          return;
        }
        const std::string version = tls_text_option(conn->get(), LDAP_OPT_X_TLS_VERSION);
        const std::string cipher = tls_text_option(conn->get(), LDAP_OPT_X_TLS_CIPHER);
        tls_bits = cipher_bits(cipher);
        s.facts.emplace_back("tls", true);
        s.facts.emplace_back("mode", std::string(options_.start_tls ? "StartTLS" : "ldaps"));
        s.facts.emplace_back("protocol", version);
        s.facts.emplace_back("cipher", cipher);
        if (tls_bits > 0) s.facts.emplace_back("cipher_bits", std::int64_t{tls_bits});
        s.facts.emplace_back("verified", options_.tls_verify);
        std::string about;
        if (auto cert = describe_certificate(peer_certificate_der(conn->get()), clock_.now())) {
          add_certificate_facts(s, *cert);
          about = fmt::format(", certificate {} issued by {}, valid until {}", cert->subject,
                              cert->issuer, cert->not_after);
        }
        s.detail = fmt::format(
            "{} {} {}{}; {}", options_.start_tls ? "StartTLS" : "ldaps", version, cipher, about,
            options_.tls_verify ? "certificate verified"
                                : "certificate NOT verified (tls_verify = false)");
      }))
    return report;

  if (!step("bind", [&](ConnectionStep& s) {
        const std::string mechanism = options_.sasl_external ? "SASL EXTERNAL"
                                      : options_.bind_dn.empty() && options_.bind_password.empty()
                                          ? "anonymous"
                                          : "simple";
        s.facts.emplace_back("mechanism", mechanism);
        if (!options_.bind_dn.empty()) s.facts.emplace_back("bind_dn", options_.bind_dn);
        auto bound = conn->bind(options_);
        if (!bound) {
          const bool refused =
              bound.error().message.find("Invalid credentials") != std::string::npos;
          return failed(
              s, refused ? "invalid credentials: " + bound.error().message : bound.error().message);
        }
        ber_len_t sasl_ssf = 0;
        if (ldap_get_option(conn->get(), LDAP_OPT_X_SASL_SSF, &sasl_ssf) != LDAP_OPT_SUCCESS)
          sasl_ssf = 0;
        const auto ssf = std::max<std::int64_t>(static_cast<std::int64_t>(sasl_ssf), tls_bits);
        s.facts.emplace_back("ssf", ssf);
        const std::string who = mechanism == "simple"
                                    ? fmt::format("simple bind as '{}'", options_.bind_dn)
                                    : mechanism + " bind";
        s.detail = ssf > 0 ? fmt::format("{} accepted, SSF {}", who, ssf)
                   : local.size() == servers->size()
                       ? fmt::format("{} accepted over the local socket", who)
                       : fmt::format("{} accepted, SSF 0 (no encryption)", who);
      }))
    return report;

  if (!step("base", [&](ConnectionStep& s) {
        std::vector<std::string> bases{options_.users.base};
        if (options_.groups.base != options_.users.base) bases.push_back(options_.groups.base);
        std::vector<std::string> seen;
        for (const auto& base : bases) {
          auto entry = read_base_object(*conn, base, {"1.1"});
          if (!entry)
            return failed(s,
                          fmt::format("base '{}' cannot be read: {}", base, entry.error().message));
          seen.push_back(base.empty() ? std::string("(the root)") : "'" + base + "'");
        }
        s.detail = fmt::format("{} exist{}", fmt::join(seen, " and "), seen.size() == 1 ? "s" : "");
      }))
    return report;

  auto count = [&](const char* what, const std::string& base, const std::string& filter) {
    return step(what, [&](ConnectionStep& s) {
      PagedSearch search{base, parenthesised(filter), {"1.1"}, options_.page_size};
      auto n = paged_search(*conn, search, [](LdapEntry&&) {});
      s.facts.emplace_back("base", base);
      s.facts.emplace_back("filter", search.filter);
      if (!n) return failed(s, n.error().message);
      s.facts.emplace_back("entries", static_cast<std::int64_t>(*n));
      s.detail = fmt::format("{} entr{} match {}", *n, *n == 1 ? "y" : "ies", search.filter);
    });
  };
  if (!count("users", options_.users.base, options_.users.filter)) return report;
  if (!count("groups", options_.groups.base, options_.groups.filter)) return report;

  step("controls", [&](ConnectionStep& s) {
    auto root = read_base_object(*conn, "", {"supportedControl"});
    if (!root) return failed(s, "the root DSE cannot be read: " + root.error().message);
    const auto& supported = root->values("supportedControl");
    auto has = [&](const KnownControl& c) {
      return std::find(supported.begin(), supported.end(), c.oid) != supported.end();
    };
    std::vector<std::string> listed;
    for (const auto& c : kControls) {
      s.facts.emplace_back(c.name, has(c));
      listed.push_back(fmt::format("{} {}", c.name, has(c) ? "yes" : "no"));
    }
    // What this source's sync mode needs (paged_search marks paging critical).
    const bool ad = type_ == "ad";
    std::string mode = "full reads (paged)";
    std::vector<KnownControl> needed{kPaging};
    if (options_.incremental && ad) {
      mode = "uSNChanged polling";
      needed.push_back(kShowDeleted);
    } else if (options_.incremental) {
      mode = "syncrepl";
      needed = {kSyncrepl};
    }
    s.facts.emplace_back("sync_mode", mode);
    std::vector<std::string> missing;
    for (const auto& c : needed)
      if (!has(c)) missing.push_back(fmt::format("{} ({})", c.name, c.oid));
    s.facts.emplace_back("sync_mode_available", missing.empty());
    if (!missing.empty())
      return failed(
          s, fmt::format("{}; the sync mode {} needs {}, which the server does not "
                         "offer{}",
                         fmt::join(listed, ", "), mode, fmt::join(missing, " and "),
                         options_.incremental ? " (incremental = false reads in full)" : ""));
    s.detail = fmt::format("{}; sync mode {} available", fmt::join(listed, ", "), mode);
  });
  return report;
}

}  // namespace trustgate
