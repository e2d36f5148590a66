#include "daemon/sync/source_probe.h"

#include <fmt/format.h>

#include "connectors/ldap/connection_probe.h"
#include "connectors/ldif/ldif_probe.h"
#include "daemon/sync/source_factory.h"

namespace trustgate {

Result<ConnectionReport> test_source_connection(const SourceConfig& source, const Clock& clock) {
  if (source.type == "ldif") return probe_ldif_source(ldif_source_options(source), clock);
  if (source.type == "ldap" || source.type == "ad") {
    auto options = ldap_source_options(source);
    if (!options) return std::unexpected(options.error());
    return LdapConnectionProbe(std::move(*options), source.type, clock).run();
  }
  return fail("config.invalid",
              fmt::format("source '{}': unsupported type '{}'", source.name, source.type));
}

}  // namespace trustgate
