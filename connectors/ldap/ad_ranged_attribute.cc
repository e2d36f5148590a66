#include "connectors/ldap/ad_ranged_attribute.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "connectors/ldap/ad_base_read.h"

namespace trustgate {
namespace {

std::optional<std::size_t> parse_size(std::string_view s) {
  std::size_t value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<AttributeRange> parse_attribute_range(std::string_view description) {
  // Options are ';'-separated after the attribute type; find the one named "range=".
  std::string attribute;
  std::optional<AttributeRange> range;
  std::size_t start = 0;
  bool first = true;
  while (start <= description.size()) {
    const auto end = std::min(description.find(';', start), description.size());
    const std::string_view part = description.substr(start, end - start);
    if (!first && part.size() > 6 && iequals(part.substr(0, 6), "range=")) {
      if (range) return std::nullopt;  // two range options
      const std::string_view bounds = part.substr(6);
      const auto dash = bounds.find('-');
      if (dash == std::string_view::npos) return std::nullopt;
      auto low = parse_size(bounds.substr(0, dash));
      if (!low) return std::nullopt;
      AttributeRange r;
      r.low = *low;
      const std::string_view high = bounds.substr(dash + 1);
      if (high != "*") {
        auto h = parse_size(high);
        if (!h || *h < *low) return std::nullopt;
        r.high = *h;
      }
      range = r;
    } else {
      if (part.empty()) return std::nullopt;
      if (!first) attribute += ';';
      attribute += part;
    }
    first = false;
    start = end + 1;
  }
  if (!range) return std::nullopt;
  range->attribute = std::move(attribute);
  return range;
}

std::string range_request(std::string_view attribute, std::size_t low, std::size_t step) {
  return fmt::format("{};range={}-{}", attribute, low, low + std::max<std::size_t>(step, 1) - 1);
}

Result<RangeSlice> take_range_slice(LdapEntry& entry, std::string_view attribute,
                                    std::size_t expected_low) {
  RangeSlice slice;
  for (auto it = entry.attributes.begin(); it != entry.attributes.end(); ++it) {
    auto range = parse_attribute_range(it->first);
    if (!range || !iequals(range->attribute, attribute)) continue;
    if (range->low != expected_low)
      return fail("ldap.range",
                  fmt::format("'{}': asked for {} values from {}, the server answered '{}'",
                              entry.dn, attribute, expected_low, it->first));
    slice.values = std::move(it->second);
    if (range->high) slice.next_low = *range->high + 1;
    entry.attributes.erase(it);
    return slice;
  }
  // No ranged answer: a server that ignores ranges returns the attribute whole (or not at all
  // when it has no values left).
  for (auto it = entry.attributes.begin(); it != entry.attributes.end(); ++it) {
    if (!iequals(it->first, attribute)) continue;
    slice.values = std::move(it->second);
    entry.attributes.erase(it);
    break;
  }
  return slice;
}

Result<std::vector<std::string>> read_ranged_values(LdapConnection& conn, const std::string& dn,
                                                    const std::string& attribute,
                                                    std::vector<std::string> values,
                                                    std::size_t low, std::size_t step) {
  for (;;) {
    auto entry = read_base_object(conn, dn, {range_request(attribute, low, step)});
    if (!entry) return std::unexpected(entry.error());
    auto slice = take_range_slice(*entry, attribute, low);
    if (!slice) return std::unexpected(slice.error());
    values.insert(values.end(), std::make_move_iterator(slice->values.begin()),
                  std::make_move_iterator(slice->values.end()));
    if (!slice->next_low) return values;
    low = *slice->next_low;
  }
}

}  // namespace trustgate
