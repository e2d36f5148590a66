#include "tests/harness/equivalence.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "tests/harness/ldap_test_directory.h"

namespace trustgate::equivalence {

using namespace std::chrono_literals;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::max(1, std::atoi(v));
}

std::string first_difference(const std::string& incremental, const std::string& full) {
  std::istringstream x(incremental), y(full);
  std::string lx, ly;
  for (int line = 1;; ++line) {
    const bool gx = static_cast<bool>(std::getline(x, lx));
    const bool gy = static_cast<bool>(std::getline(y, ly));
    if (!gx && !gy) return "no difference";
    if (!gx || !gy || lx != ly) {
      return fmt::format("line {}:\n  incremental: {}\n  full read:   {}", line, gx ? lx : "(end)",
                         gy ? ly : "(end)");
    }
  }
}

std::string settle(DirectorySource& source, const DirectorySnapshot& want, const ModelFn& model_of,
                   std::chrono::seconds patience) {
  const std::string want_snapshot = ldap_test::canonical(want);
  const std::string want_model = model_of(want);
  const auto deadline = std::chrono::steady_clock::now() + patience;
  std::string last = "no snapshot";
  do {
    auto changed = source.wait_for_changes(200ms, {});
    if (!changed) return "wait_for_changes failed: " + changed.error().message;
    auto snap = source.snapshot();
    if (!snap) return "snapshot failed: " + snap.error().message;
    const std::string got = ldap_test::canonical(*snap);
    if (got != want_snapshot) {
      last = "snapshot " + first_difference(got, want_snapshot);
      continue;
    }
    const std::string model = model_of(*snap);
    if (model != want_model) {
      last = "model " + first_difference(model, want_model);
      continue;
    }
    return "";
  } while (std::chrono::steady_clock::now() < deadline);
  return last;
}

}  // namespace trustgate::equivalence
