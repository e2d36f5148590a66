#include "connectors/ldif/ldif_filter_match.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "mapping/dn.h"

namespace trustgate {
namespace {

using ldif::iequals;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// One ';'-separated option at a time from "type;opt1;opt2" (the type first).
class DescriptionParts {
 public:
  explicit DescriptionParts(std::string_view description) : rest_(description) {}
  bool next(std::string_view& part) {
    if (done_) return false;
    const std::size_t semi = rest_.find(';');
    part = rest_.substr(0, semi);
    if (semi == std::string_view::npos) {
      done_ = true;
    } else {
      rest_.remove_prefix(semi + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

std::string_view type_of(std::string_view description) {
  return description.substr(0, description.find(';'));
}

bool is_range_option(std::string_view option) {
  return option.size() >= 6 && iequals(option.substr(0, 6), "range=");
}

// Whether a value stored under `stored` ("member;range=0-1") is a value of the filter's
// attribute description `wanted` ("member"): same type, and every option of `wanted` among
// those of `stored` (range options are a retrieval artefact and never count).
bool describes(std::string_view wanted, std::string_view stored) {
  if (!iequals(type_of(wanted), type_of(stored))) return false;
  DescriptionParts options(wanted);
  std::string_view option;
  options.next(option);  // the type
  while (options.next(option)) {
    if (is_range_option(option)) return false;
    bool found = false;
    DescriptionParts have(stored);
    std::string_view candidate;
    have.next(candidate);
    while (!found && have.next(candidate)) found = iequals(option, candidate);
    if (!found) return false;
  }
  return true;
}

bool is_dn_valued(std::string_view type) {
  static constexpr std::array<std::string_view, 9> kDnTypes = {
      "member",  "uniqueMember",      "memberOf",     "manager",  "owner",
      "seeAlso", "distinguishedName", "roleOccupant", "secretary"};
  for (std::string_view t : kDnTypes) {
    if (iequals(t, type)) return true;
  }
  return false;
}

// Reads a string as caseIgnoreMatch prepares it: ASCII lower case, no leading or trailing
// spaces, each inner run of spaces as one.
class PreparedChars {
 public:
  explicit PreparedChars(std::string_view s) : s_(s) {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  // The next prepared character, or -1 at the end.
  int next() {
    if (i_ >= s_.size()) return -1;
    if (s_[i_] == ' ') {
      while (i_ < s_.size() && s_[i_] == ' ') ++i_;
      return i_ == s_.size() ? -1 : ' ';
    }
    return static_cast<unsigned char>(lower(s_[i_++]));
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

bool case_ignore_equal(std::string_view a, std::string_view b) {
  PreparedChars x(a), y(b);
  while (true) {
    const int c = x.next();
    if (c != y.next()) return false;
    if (c < 0) return true;
  }
}

std::string prepared(std::string_view s) {
  std::string out;
  PreparedChars chars(s);
  for (int c = chars.next(); c >= 0; c = chars.next()) out.push_back(static_cast<char>(c));
  return out;
}

// A substring component: case folded, inner runs of spaces as one; an initial component
// keeps no leading space, a final one no trailing space.
std::string prepared_component(std::string_view s, bool trim_front, bool trim_back) {
  std::string out;
  for (char c : s) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out.push_back(lower(c));
  }
  if (trim_front && !out.empty() && out.front() == ' ') out.erase(0, 1);
  if (trim_back && !out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool equality_matches(std::string_view type, std::string_view value, std::string_view asserted) {
  if (is_dn_valued(type)) return normalize_dn(value) == normalize_dn(asserted);
  return case_ignore_equal(value, asserted);
}

bool substrings_match(const LdapFilter& f, std::string_view raw) {
  const std::string value = prepared(raw);
  std::size_t at = 0;
  std::size_t end = value.size();
  if (f.initial) {
    const std::string initial = prepared_component(*f.initial, true, false);
    if (!std::string_view(value).starts_with(initial)) return false;
    at = initial.size();
  }
  if (f.final_) {
    const std::string final_part = prepared_component(*f.final_, false, true);
    if (final_part.size() > end - at || !std::string_view(value).ends_with(final_part)) {
      return false;
    }
    end -= final_part.size();
  }
  for (const std::string& any : f.any) {
    const std::string part = prepared_component(any, false, false);
    const std::size_t found = std::string_view(value.data(), end).find(part, at);
    if (found == std::string_view::npos) return false;
    at = found + part.size();
  }
  return true;
}

FilterResult item(const LdapFilter& f, const LdifRecord& record) {
  const std::string_view type = type_of(f.attribute);
  for (const LdifAttribute& attribute : record.attributes) {
    if (!describes(f.attribute, attribute.name)) continue;
    switch (f.kind) {
      case LdapFilter::Kind::Present:
        return FilterResult::True;
      case LdapFilter::Kind::Equality:
        if (equality_matches(type, attribute.value, f.value)) return FilterResult::True;
        break;
      case LdapFilter::Kind::Substrings:
        if (substrings_match(f, attribute.value)) return FilterResult::True;
        break;
      default:
        return FilterResult::Undefined;
    }
  }
  return FilterResult::False;
}

}  // namespace

FilterResult evaluate_filter(const LdapFilter& filter, const LdifRecord& record) {
  switch (filter.kind) {
    case LdapFilter::Kind::And: {
      FilterResult out = FilterResult::True;
      for (const LdapFilter& child : filter.children) {
        const FilterResult r = evaluate_filter(child, record);
        if (r == FilterResult::False) return r;
        if (r == FilterResult::Undefined) out = r;
      }
      return out;
    }
    case LdapFilter::Kind::Or: {
      FilterResult out = FilterResult::False;
      for (const LdapFilter& child : filter.children) {
        const FilterResult r = evaluate_filter(child, record);
        if (r == FilterResult::True) return r;
        if (r == FilterResult::Undefined) out = r;
      }
      return out;
    }
    case LdapFilter::Kind::Not:
      if (filter.children.size() != 1) return FilterResult::Undefined;
      switch (evaluate_filter(filter.children.front(), record)) {
        case FilterResult::True:
          return FilterResult::False;
        case FilterResult::False:
          return FilterResult::True;
        case FilterResult::Undefined:
          return FilterResult::Undefined;
      }
      return FilterResult::Undefined;
    case LdapFilter::Kind::Equality:
    case LdapFilter::Kind::Substrings:
    case LdapFilter::Kind::Present:
      return item(filter, record);
    case LdapFilter::Kind::GreaterOrEqual:
    case LdapFilter::Kind::LessOrEqual:
    case LdapFilter::Kind::Approx:
    case LdapFilter::Kind::Extensible:
      return FilterResult::Undefined;
  }
  return FilterResult::Undefined;
}

std::string ldif_filter_unsupported(const LdapFilter& filter) {
  switch (filter.kind) {
    case LdapFilter::Kind::And:
    case LdapFilter::Kind::Or:
    case LdapFilter::Kind::Not:
      for (const LdapFilter& child : filter.children) {
        if (std::string problem = ldif_filter_unsupported(child); !problem.empty()) {
          return problem;
        }
      }
      return "";
    case LdapFilter::Kind::Equality:
    case LdapFilter::Kind::Substrings:
    case LdapFilter::Kind::Present:
      return "";
    case LdapFilter::Kind::GreaterOrEqual:
    case LdapFilter::Kind::LessOrEqual:
      return fmt::format(
          "'({}{}...)': ordering matches (>=, <=) are not supported on ldif sources (without a "
          "schema the file can't tell integer from string ordering); use =, =*, substrings, "
          "&, | and !",
          filter.attribute, filter.kind == LdapFilter::Kind::GreaterOrEqual ? ">=" : "<=");
    case LdapFilter::Kind::Approx:
      return fmt::format(
          "'({}~=...)': approximate matches (~=) are not supported on ldif sources; use =, =*, "
          "substrings, &, | and !",
          filter.attribute);
    case LdapFilter::Kind::Extensible:
      return fmt::format(
          "'({}:{}:=...)': extensible matches are not supported on ldif sources; use =, =*, "
          "substrings, &, | and !",
          filter.attribute, filter.matching_rule);
  }
  return "";
}

}  // namespace trustgate
