// Fuzz target: the strings a mapping rule and a directory hand to the mapper. One input is
// "<pattern>\n<subject>": GroupPattern::compile(pattern), then full_match(subject); the subject
// also goes through normalize_dn and first_rdn_value, and the whole input through
// parse_ldap_filter (as a source's filter is).
// Contract under test: any input is a value or an error, never a crash, a hang or unbounded
// memory; normalize_dn is idempotent (dn.h), and a match fills $0 with the subject.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/filter/ldap_filter.h"
#include "mapping/dn.h"
#include "mapping/group_pattern.h"

namespace {

void check(bool holds) {
  if (!holds) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view pattern = input.substr(0, newline);
  const std::string_view subject =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  if (auto compiled = trustgate::GroupPattern::compile(pattern)) {
    trustgate::GroupPattern::Captures captures;
    if (compiled->full_match(subject, captures)) check(captures[0] == subject);
    check(compiled->capture_count() >= 0);
  }

  const std::string normalized = trustgate::normalize_dn(subject);
  check(trustgate::normalize_dn(normalized) == normalized);
  (void)trustgate::first_rdn_value(subject);

  (void)trustgate::parse_ldap_filter(input);
  return 0;
}
