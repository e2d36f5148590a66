#pragma once
// Builds the configured directory sources. Secrets (bind passwords) are read here, at
// construction, from their files; they are never logged.
#include <memory>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "connectors/directory_source.h"
#include "connectors/ldap/ldap_source_options.h"
#include "connectors/ldif/ldif_source.h"
#include "daemon/config/config.h"

namespace trustgate {

// The options of an ldif source, and of an ldap or ad source with its bind password read from
// bind_password_file (errors as read_secret's, "config.*").
LdifSourceOptions ldif_source_options(const SourceConfig& config);
Result<LdapSourceOptions> ldap_source_options(const SourceConfig& config);

Result<std::unique_ptr<DirectorySource>> make_source(const SourceConfig& config,
                                                     const Clock& clock);
Result<std::vector<std::unique_ptr<DirectorySource>>> make_sources(const Config& config,
                                                                   const Clock& clock);

// Borrowed pointers, in config order.
std::vector<DirectorySource*> pointers(const std::vector<std::unique_ptr<DirectorySource>>& owned);

}  // namespace trustgate
