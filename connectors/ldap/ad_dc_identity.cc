#include "connectors/ldap/ad_dc_identity.h"

#include <fmt/format.h>

#include <charconv>

#include "connectors/ldap/ad_base_read.h"
#include "connectors/object_guid.h"

namespace trustgate {

Result<AdDcIdentity> read_dc_identity(LdapConnection& conn) {
  auto root =
      read_base_object(conn, "", {"highestCommittedUSN", "dsServiceName", "defaultNamingContext"});
  if (!root) return std::unexpected(root.error());
  AdDcIdentity id;
  id.ds_service_name = root->first("dsServiceName");
  id.naming_context = root->first("defaultNamingContext");
  const std::string usn = root->first("highestCommittedUSN");
  const auto [ptr, ec] = std::from_chars(usn.data(), usn.data() + usn.size(), id.highest_usn);
  if (id.ds_service_name.empty() || id.naming_context.empty() || usn.empty() || ec != std::errc() ||
      ptr != usn.data() + usn.size())
    return fail("ldap.ad", fmt::format("{} is not an Active Directory domain controller (its "
                                       "rootDSE has no dsServiceName / defaultNamingContext / "
                                       "highestCommittedUSN)",
                                       conn.url()));
  auto dsa = read_base_object(conn, id.ds_service_name, {"invocationId"});
  if (!dsa) return std::unexpected(dsa.error());
  auto guid = format_object_guid(dsa->first("invocationId"));
  if (!guid)
    return fail("ldap.ad",
                fmt::format("{}: '{}' has no valid invocationId", conn.url(), id.ds_service_name));
  id.invocation_id = std::move(*guid);
  return id;
}

}  // namespace trustgate
