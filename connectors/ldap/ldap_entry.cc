#include "connectors/ldap/ldap_entry.h"

#include <memory>

#include "connectors/ldap/ldap_handles.h"

namespace trustgate {
namespace {

// Attribute names are ASCII (RFC 4512): no locale-aware std::tolower call per character (it
// showed in a 100k-entry read's profile).
std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

struct BerElementFree {
  void operator()(BerElement* ber) const {
    if (ber) ber_free(ber, 0);
  }
};

}  // namespace

std::string LdapEntry::first(const std::string& name) const {
  const auto& v = values(name);
  return v.empty() ? std::string() : v.front();
}

const std::vector<std::string>& LdapEntry::values(const std::string& name) const {
  static const std::vector<std::string> kEmpty;
  auto it = attributes.find(lower(name));
  return it == attributes.end() ? kEmpty : it->second;
}

std::vector<std::string>* LdapEntry::find(const std::string& name) {
  auto it = attributes.find(lower(name));
  return it == attributes.end() ? nullptr : &it->second;
}

// The DN and values are read in place from the message's BER (ldap_get_dn_ber,
// ldap_get_attribute_ber), as ldapsearch does: one copy per value, into the std::string,
// instead of libldap's own copy of each value first.
LdapEntry read_entry(LDAP* ld, LDAPMessage* msg) {
  LdapEntry entry;
  BerElement* raw_ber = nullptr;
  berval dn{};
  const int rc = ldap_get_dn_ber(ld, msg, &raw_ber, &dn);
  std::unique_ptr<BerElement, BerElementFree> ber(raw_ber);
  if (rc != LDAP_SUCCESS || !ber) return entry;
  if (dn.bv_val) entry.dn.assign(dn.bv_val, dn.bv_len);
  berval attr{};
  berval* vals = nullptr;
  while (ldap_get_attribute_ber(ld, msg, ber.get(), &attr, &vals) == LDAP_SUCCESS &&
         attr.bv_val != nullptr) {
    auto& out = entry.attributes[lower(std::string(attr.bv_val, attr.bv_len))];
    for (berval* v = vals; v && v->bv_val; ++v) out.emplace_back(v->bv_val, v->bv_len);
    if (vals) ber_memfree(vals);  // the array only: the values live in the message
    vals = nullptr;
  }
  return entry;
}

}  // namespace trustgate
