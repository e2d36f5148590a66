#include "connectors/ldap/peer_certificate.h"

#include <fmt/format.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

namespace trustgate {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parse(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::string name_text(const X509_NAME* name) {
  if (!name) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return {};
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data ? data : "", n > 0 ? static_cast<std::size_t>(n) : 0);
  BIO_free(bio);
  return out;
}

std::string time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::vector<std::string> alt_names(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) {
      const auto* s = n->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<std::size_t>(ASN1_STRING_length(s))));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = n->d.iPAddress;
      const unsigned char* b = ASN1_STRING_get0_data(ip);
      if (ASN1_STRING_length(ip) == 4)
        out.push_back(fmt::format("IP:{}.{}.{}.{}", b[0], b[1], b[2], b[3]));
      else
        out.push_back("IP:(IPv6)");
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

bool matches_host(X509* cert, const std::string& host) {
  if (X509_check_ip_asc(cert, host.c_str(), 0) == 1) return true;
  return X509_check_host(cert, host.c_str(), host.size(), 0, nullptr) == 1;
}

}  // namespace

std::string peer_certificate_der(LDAP* ld) {
  berval cert{0, nullptr};
  if (ldap_get_option(ld, LDAP_OPT_X_TLS_PEERCERT, &cert) != LDAP_OPT_SUCCESS || !cert.bv_val)
    return {};
  std::string out(cert.bv_val, cert.bv_len);
  ber_memfree(cert.bv_val);
  return out;
}

Result<PeerCertificate> describe_certificate(const std::string& der,
                                             std::chrono::system_clock::time_point now) {
  X509Ptr cert = parse(der);
  if (!cert) return fail("tls.certificate", "the server's certificate does not parse");
  PeerCertificate out;
  out.subject = name_text(X509_get_subject_name(cert.get()));
  out.issuer = name_text(X509_get_issuer_name(cert.get()));
  out.not_after = time_text(X509_get0_notAfter(cert.get()));
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  out.expired = X509_cmp_time(X509_get0_notAfter(cert.get()), &t) < 0;
  out.names = alt_names(cert.get());
  return out;
}

std::string certificate_problem(const std::string& der, const std::string& ca_file,
                                const std::string& host,
                                std::chrono::system_clock::time_point now) {
  X509Ptr cert = parse(der);
  if (!cert) return "unreadable: the server's certificate does not parse";
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      &X509_STORE_CTX_free);
  if (!store || !ctx) return {};
  const std::string trusted =
      ca_file.empty() ? std::string("the system CAs") : fmt::format("ca_file '{}'", ca_file);
  const int loaded = ca_file.empty() ? X509_STORE_set_default_paths(store.get())
                                     : X509_STORE_load_file(store.get(), ca_file.c_str());
  if (loaded != 1) return fmt::format("unknown CA: {} cannot be read as PEM certificates", trusted);
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) return {};
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()),
                             std::chrono::system_clock::to_time_t(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    const std::string why = X509_verify_cert_error_string(err);
    const std::string issuer = name_text(X509_get_issuer_name(cert.get()));
    switch (err) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return fmt::format("expired: the certificate expired at {} ({})",
                           time_text(X509_get0_notAfter(cert.get())), why);
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return fmt::format("not yet valid: the certificate is valid from {} ({})",
                           time_text(X509_get0_notBefore(cert.get())), why);
      default:
        return fmt::format("unknown CA: the issuer '{}' is not trusted by {} ({})", issuer, trusted,
                           why);
    }
  }
  if (!matches_host(cert.get(), host)) {
    std::string names;
    for (const auto& n : alt_names(cert.get())) names += (names.empty() ? "" : ", ") + n;
    if (names.empty()) names = name_text(X509_get_subject_name(cert.get()));
    return fmt::format("name mismatch: the certificate is for {}, not '{}'", names, host);
  }
  return {};
}

}  // namespace trustgate
