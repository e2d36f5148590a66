#pragma once
// The connection test of one configured source (trustgatectl test-connection): the source's
// options built as for a sync (source_factory.h) and handed to its type's probe
// (connectors/ldap/connection_probe.h, connectors/ldif/ldif_probe.h).
#include "common/clock.h"
#include "common/error.h"
#include "connectors/connection_report.h"
#include "daemon/config/config.h"

namespace trustgate {

// The report; an Error ("config.*") only when the source cannot be set up at all: its bind
// password file cannot be read, or its type is unknown. Whatever the directory does is in the
// report.
Result<ConnectionReport> test_source_connection(const SourceConfig& source, const Clock& clock);

}  // namespace trustgate
