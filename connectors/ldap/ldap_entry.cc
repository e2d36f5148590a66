#include "connectors/ldap/ldap_entry.h"

#include <algorithm>
#include <cctype>

#include "connectors/ldap/ldap_handles.h"

namespace trustgate {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
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

LdapEntry read_entry(LDAP* ld, LDAPMessage* msg) {
  LdapEntry entry;
  LdapMemPtr<char> dn(ldap_get_dn(ld, msg));
  if (dn) entry.dn = dn.get();
  BerElement* raw_ber = nullptr;
  for (char* attr = ldap_first_attribute(ld, msg, &raw_ber); attr;
       attr = ldap_next_attribute(ld, msg, raw_ber)) {
    LdapMemPtr<char> name(attr);
    BerValsPtr vals(ldap_get_values_len(ld, msg, attr));
    auto& out = entry.attributes[lower(attr)];
    for (berval** v = vals.get(); v && *v; ++v) out.emplace_back((*v)->bv_val, (*v)->bv_len);
  }
  std::unique_ptr<BerElement, BerElementFree> ber(raw_ber);
  return entry;
}

}  // namespace trustgate
