#pragma once
// Human and JSON renderings of connection reports (trustgatectl test-connection).
#include <ostream>
#include <string>
#include <vector>

#include "connectors/connection_report.h"

namespace trustgate {

// A source's test as a heading and a line per step:
//   source campus (ldap)
//     ok    dns       ldap.example -> 192.0.2.1  (0.4 ms)
//     FAIL  tcp       cannot connect to ...: connection refused  (0.1 ms)
//   FAILED at tcp
void print_connection_report(std::ostream& out, const ConnectionReport& report);

// One source's report as a JSON object: source, type, passed, failed_step (null when passed)
// and steps [{name, ok, detail, ms, facts {...}}].
std::string connection_report_json(const ConnectionReport& report);

// Several: {"passed": all passed, "sources": [each as connection_report_json]}.
std::string connection_reports_json(const std::vector<ConnectionReport>& reports);

}  // namespace trustgate
