#pragma once
// What a connection test of one directory source found (trustgatectl test-connection): its
// steps in the order they ran, each with its outcome, a one-line detail for humans, facts for
// machines and how long it took. The test stops at the first failed step, so a failed report
// ends with the step that failed. Nothing here holds a secret.
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace trustgate {

// A fact a step established: "protocol" = "TLS1.3", "entries" = 120, "available" = true.
using ConnectionFactValue = std::variant<std::string, std::int64_t, bool>;

struct ConnectionStep {
  std::string name;    // "dns", "tcp", "tls", "bind", "base", "users", "groups", "controls", ...
  bool ok = false;     // false: the step failed and the test stopped here
  std::string detail;  // "ldap.example -> 192.0.2.1", or why it failed, named plainly
  std::chrono::microseconds elapsed{0};
  std::vector<std::pair<std::string, ConnectionFactValue>> facts;
};

struct ConnectionReport {
  std::string source;  // the source's configured name
  std::string type;    // "ldap", "ad", "ldif"
  std::vector<ConnectionStep> steps;

  // Every step ran and passed (a report without steps has not passed).
  bool passed() const {
    if (steps.empty()) return false;
    for (const auto& s : steps)
      if (!s.ok) return false;
    return true;
  }
  // The step that failed, or nullptr.
  const ConnectionStep* failed_step() const {
    for (const auto& s : steps)
      if (!s.ok) return &s;
    return nullptr;
  }
};

}  // namespace trustgate
