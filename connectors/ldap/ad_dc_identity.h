#pragma once
// Which domain controller a connection talks to, and how far its database has come: the
// rootDSE's highestCommittedUSN and dsServiceName, and the invocationId of that nTDSDSA
// object. uSNChanged values are only comparable on the same DC with the same invocationId (a
// restore from backup gets a new one), so incremental polling is pinned to this identity.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "connectors/ldap/ldap_connection.h"

namespace trustgate {

struct AdDcIdentity {
  std::string ds_service_name;  // DN of the DC's nTDSDSA object ("CN=NTDS Settings,CN=DC1,...")
  std::string invocation_id;    // canonical GUID string
  std::uint64_t highest_usn = 0;
  // The rootDSE's defaultNamingContext (the domain's root DN), read with every identity and
  // not part of the resume state.
  std::string naming_context;
};

// Errors: "ldap.search" / "ldap.connect" from the reads; "ldap.ad" when the server is not an
// AD DC (no dsServiceName / highestCommittedUSN / invocationId).
Result<AdDcIdentity> read_dc_identity(LdapConnection& conn);

}  // namespace trustgate
