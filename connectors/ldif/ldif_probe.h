#pragma once
// The connection test of an ldif source (trustgatectl test-connection), in the steps of
// ldap's (connection_probe.h), stopping at the first that fails:
//   file     the file exists and this process can read it
//   parse    it parses as LDIF (records read, records skipped and the first reason)
//   entries  how many users and groups the source's selections make of it
#include "common/clock.h"
#include "connectors/connection_report.h"
#include "connectors/ldif/ldif_source.h"

namespace trustgate {

ConnectionReport probe_ldif_source(const LdifSourceOptions& options, const Clock& clock);

}  // namespace trustgate
