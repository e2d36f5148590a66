#include "connectors/ldap/ad_base_read.h"

#include <fmt/format.h>
#include <sys/time.h>

#include "connectors/ldap/ldap_handles.h"

namespace trustgate {

Result<LdapEntry> read_base_object(LdapConnection& conn, const std::string& dn,
                                   const std::vector<std::string>& attributes) {
  std::vector<char*> attrs;
  for (const auto& a : attributes) attrs.push_back(const_cast<char*>(a.c_str()));
  attrs.push_back(nullptr);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(conn.timeout().count());
  const std::string what =
      dn.empty() ? std::string("read of the rootDSE") : fmt::format("read of '{}'", dn);
  LDAPMessage* raw = nullptr;
  const int rc = ldap_search_ext_s(conn.get(), dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)",
                                   attributes.empty() ? nullptr : attrs.data(), 0, nullptr, nullptr,
                                   &tv, 1, &raw);
  LdapMessagePtr result(raw);
  if (rc != LDAP_SUCCESS) {
    const bool broken = rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT;
    return std::unexpected(conn.error(broken ? "ldap.connect" : "ldap.search", what, rc));
  }
  for (LDAPMessage* m = ldap_first_message(conn.get(), result.get()); m;
       m = ldap_next_message(conn.get(), m)) {
    if (ldap_msgtype(m) == LDAP_RES_SEARCH_ENTRY) return read_entry(conn.get(), m);
  }
  return fail("ldap.search", fmt::format("{} on {} returned no entry", what, conn.url()));
}

}  // namespace trustgate
