#pragma once
// A subtree search read page by page with the Simple Paged Results control (RFC 2696, marked
// critical). All-or-nothing: any error, a size or time limit, or a partial result fails the
// whole search; the caller discards whatever `on_entry` has seen.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "connectors/ldap/ldap_connection.h"
#include "connectors/ldap/ldap_entry.h"

namespace trustgate {

struct PagedSearch {
  std::string base;
  std::string filter;
  std::vector<std::string> attributes;
  int page_size = 500;
  // Active Directory's Show Deleted control (1.2.840.113556.1.4.417, not critical): deleted
  // objects (tombstones, under CN=Deleted Objects) are returned too, to an account allowed to
  // list them.
  bool show_deleted = false;
};

// Calls `on_entry` for each entry; returns the number of entries read. Search references
// (referrals) are not chased and are ignored. Error code "ldap.search" (with the server's
// result, e.g. "No such object" for a missing base) or "ldap.connect" when the connection broke.
Result<std::size_t> paged_search(LdapConnection& conn, const PagedSearch& search,
                                 const std::function<void(LdapEntry&&)>& on_entry);

}  // namespace trustgate
