#include "connectors/filter/ldap_filter.h"

#include <fmt/format.h>

#include <utility>

namespace trustgate {
namespace {

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_keychar(char c) { return is_alpha(c) || is_digit(c) || c == '-'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 4512 numericoid: number *( "." number ), number without leading zeros.
bool is_numeric_oid(std::string_view s) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t end = start;
    while (end < s.size() && is_digit(s[end])) ++end;
    const std::size_t len = end - start;
    if (len == 0 || (len > 1 && s[start] == '0')) return false;
    if (end == s.size()) return true;
    if (s[end] != '.') return false;
    start = end + 1;
  }
}

// RFC 4512 descr: ALPHA *( ALPHA / DIGIT / "-" ).
bool is_descr(std::string_view s) {
  if (s.empty() || !is_alpha(s.front())) return false;
  for (char c : s) {
    if (!is_keychar(c)) return false;
  }
  return true;
}

bool is_oid(std::string_view s) { return is_descr(s) || is_numeric_oid(s); }

// RFC 4512 attributedescription: oid *( ";" 1*keychar ).
bool is_attribute_description(std::string_view s) {
  const std::size_t semi = s.find(';');
  if (!is_oid(s.substr(0, semi))) return false;
  std::size_t pos = semi;
  while (pos != std::string_view::npos) {
    const std::size_t next = s.find(';', pos + 1);
    const std::string_view option =
        s.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    if (option.empty()) return false;
    for (char c : option) {
      if (!is_keychar(c)) return false;
    }
    pos = next;
  }
  return true;
}

class Parser {
 public:
  Parser(std::string_view text, const LdapFilterLimits& limits) : text_(text), limits_(limits) {}

  Result<LdapFilter> parse() {
    if (text_.size() > limits_.max_length) {
      return fail("filter.limit", fmt::format("the filter is {} characters long; at most {} are "
                                              "accepted",
                                              text_.size(), limits_.max_length));
    }
    skip_spaces();
    if (at_end()) return syntax("the filter is empty");
    auto filter = parse_filter(1);
    if (!filter) return filter;
    skip_spaces();
    if (!at_end()) return syntax("text after the filter's closing ')'");
    return filter;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void skip_spaces() {
    while (!at_end() && is_space(text_[pos_])) ++pos_;
  }

  std::unexpected<Error> syntax(std::string_view what) const {
    return fail("filter.syntax", fmt::format("at character {}: {}", pos_ + 1, what));
  }

  Result<LdapFilter> parse_filter(std::size_t depth) {
    if (depth > limits_.max_depth) {
      return fail("filter.limit", fmt::format("at character {}: filters nested more than {} deep "
                                              "are not accepted",
                                              pos_ + 1, limits_.max_depth));
    }
    if (peek() != '(') {
      return syntax(at_end() ? "the filter ends where '(' was expected"
                             : "expected '(' (a filter is enclosed in parentheses)");
    }
    ++pos_;
    skip_spaces();
    LdapFilter filter;
    const char c = peek();
    if (c == '&' || c == '|') {
      filter.kind = c == '&' ? LdapFilter::Kind::And : LdapFilter::Kind::Or;
      ++pos_;
      skip_spaces();
      while (peek() == '(') {
        auto child = parse_filter(depth + 1);
        if (!child) return child;
        filter.children.push_back(std::move(*child));
        skip_spaces();
      }
    } else if (c == '!') {
      filter.kind = LdapFilter::Kind::Not;
      ++pos_;
      skip_spaces();
      auto child = parse_filter(depth + 1);
      if (!child) return child;
      filter.children.push_back(std::move(*child));
      skip_spaces();
    } else {
      if (auto item = parse_item(filter); !item) return std::unexpected(item.error());
    }
    if (peek() != ')') {
      return syntax(at_end() ? "the filter ends where ')' was expected" : "expected ')'");
    }
    ++pos_;
    return filter;
  }

  // attr filtertype value | attr=* | attr=substrings | extensible. Leaves pos_ at the ')'.
  Result<void> parse_item(LdapFilter& filter) {
    const std::size_t start = pos_;
    while (!at_end() && text_[pos_] != '=' && text_[pos_] != '~' && text_[pos_] != '<' &&
           text_[pos_] != '>' && text_[pos_] != ':' && text_[pos_] != '(' && text_[pos_] != ')') {
      ++pos_;
    }
    filter.attribute = std::string(text_.substr(start, pos_ - start));
    const char c = peek();
    if (c == ':') return parse_extensible(filter, start);
    if (filter.attribute.empty()) {
      pos_ = start;
      return syntax("expected an attribute description");
    }
    if (!is_attribute_description(filter.attribute)) {
      pos_ = start;
      return syntax(fmt::format("'{}' is not an attribute description", filter.attribute));
    }
    if (c == '~' || c == '<' || c == '>') {
      ++pos_;
      if (peek() != '=') return syntax(fmt::format("expected '=' after '{}'", c));
      ++pos_;
      filter.kind = c == '~'   ? LdapFilter::Kind::Approx
                    : c == '<' ? LdapFilter::Kind::LessOrEqual
                               : LdapFilter::Kind::GreaterOrEqual;
      auto value = read_value(false);
      if (!value) return std::unexpected(value.error());
      filter.value = std::move(value->front());
      return {};
    }
    if (c != '=') {
      return syntax(at_end() ? "the filter ends where '=', '~=', '<=' or '>=' was expected"
                             : "expected '=', '~=', '<=' or '>='");
    }
    ++pos_;
    auto parts = read_value(true);
    if (!parts) return std::unexpected(parts.error());
    if (parts->size() == 1) {
      filter.kind = LdapFilter::Kind::Equality;
      filter.value = std::move(parts->front());
      return {};
    }
    if (parts->size() == 2 && parts->front().empty() && parts->back().empty()) {
      filter.kind = LdapFilter::Kind::Present;
      return {};
    }
    filter.kind = LdapFilter::Kind::Substrings;
    if (!parts->front().empty()) filter.initial = std::move(parts->front());
    if (!parts->back().empty()) filter.final_ = std::move(parts->back());
    for (std::size_t i = 1; i + 1 < parts->size(); ++i) {
      if ((*parts)[i].empty()) return syntax("an empty substring between two '*'");
      filter.any.push_back(std::move((*parts)[i]));
    }
    return {};
  }

  // [attr] [":dn"] [":" rule] ":=" value, with pos_ at the first ':'.
  Result<void> parse_extensible(LdapFilter& filter, std::size_t start) {
    filter.kind = LdapFilter::Kind::Extensible;
    if (!filter.attribute.empty() && !is_attribute_description(filter.attribute)) {
      pos_ = start;
      return syntax(fmt::format("'{}' is not an attribute description", filter.attribute));
    }
    bool first = true;
    while (true) {
      if (peek() != ':') return syntax("expected ':=' in an extensible match");
      ++pos_;
      if (peek() == '=') {
        ++pos_;
        break;
      }
      const std::size_t word_start = pos_;
      while (!at_end() && text_[pos_] != ':' && text_[pos_] != '=' && text_[pos_] != ')' &&
             text_[pos_] != '(') {
        ++pos_;
      }
      const std::string_view word = text_.substr(word_start, pos_ - word_start);
      if (first && word.size() == 2 && (word[0] | 0x20) == 'd' && (word[1] | 0x20) == 'n') {
        filter.dn_attributes = true;
      } else if (filter.matching_rule.empty() && is_oid(word)) {
        filter.matching_rule = std::string(word);
      } else {
        pos_ = word_start;
        return syntax("expected ':dn', a matching rule or ':=' in an extensible match");
      }
      first = false;
    }
    if (filter.attribute.empty() && filter.matching_rule.empty()) {
      return syntax("an extensible match without an attribute needs a matching rule");
    }
    auto value = read_value(false);
    if (!value) return std::unexpected(value.error());
    filter.value = std::move(value->front());
    return {};
  }

  // The assertion value up to the closing ')', decoded; split at each unescaped '*' when
  // `split_at_stars` (then a single part means there was no '*').
  Result<std::vector<std::string>> read_value(bool split_at_stars) {
    std::vector<std::string> parts(1);
    while (!at_end() && text_[pos_] != ')') {
      const char c = text_[pos_];
      if (c == '\\') {
        const int hi = pos_ + 1 < text_.size() ? hex_value(text_[pos_ + 1]) : -1;
        const int lo = pos_ + 2 < text_.size() ? hex_value(text_[pos_ + 2]) : -1;
        if (hi < 0 || lo < 0) {
          return syntax("'\\' in a value must be followed by two hex digits (\\2a for '*')");
        }
        parts.back().push_back(static_cast<char>(hi * 16 + lo));
        pos_ += 3;
        continue;
      }
      if (c == '(') return syntax("'(' in a value must be written \\28");
      if (c == '\0') return syntax("a NUL character in a value must be written \\00");
      if (c == '*') {
        if (!split_at_stars) return syntax("'*' in this value must be written \\2a");
        parts.emplace_back();
      } else {
        parts.back().push_back(c);
      }
      ++pos_;
    }
    return parts;
  }

  std::string_view text_;
  const LdapFilterLimits& limits_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<LdapFilter> parse_ldap_filter(std::string_view text, const LdapFilterLimits& limits) {
  return Parser(text, limits).parse();
}

}  // namespace trustgate
