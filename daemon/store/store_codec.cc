#include "daemon/store/store_codec.h"

#include <cstdint>

namespace trustgate::store_codec {

std::string_view encode(AssociationKind k) {
  switch (k) {
    case AssociationKind::Institution:
      return "institution";
    case AssociationKind::Cluster:
      return "cluster";
    case AssociationKind::All:
      return "all";
  }
  return "institution";  // unreachable: every enumerator is handled above
}

std::optional<AssociationKind> decode_association_kind(std::string_view s) {
  if (s == "institution") return AssociationKind::Institution;
  if (s == "cluster") return AssociationKind::Cluster;
  if (s == "all") return AssociationKind::All;
  return std::nullopt;
}

std::string_view encode(SecondFactorPolicy p) {
  switch (p) {
    case SecondFactorPolicy::Always:
      return "always";
    case SecondFactorPolicy::WhenMfa:
      return "when_mfa";
  }
  return "when_mfa";  // unreachable
}

std::optional<SecondFactorPolicy> decode_second_factor(std::string_view s) {
  if (s == "always") return SecondFactorPolicy::Always;
  if (s == "when_mfa") return SecondFactorPolicy::WhenMfa;
  return std::nullopt;
}

std::string_view encode(Provenance::Kind k) {
  return k == Provenance::Kind::Manual ? "manual" : "rule";
}

std::optional<Provenance::Kind> decode_provenance_kind(std::string_view s) {
  if (s == "rule") return Provenance::Kind::Rule;
  if (s == "manual") return Provenance::Kind::Manual;
  return std::nullopt;
}

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;  // UTF-8 (or any other byte) passes through unchanged
    }
  }
  out += '"';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses a JSON string starting at s[pos] == '"'; leaves pos after the closing quote.
// Accepts the escapes JSON allows; \uXXXX above 0xff is rejected (the store never writes it).
std::optional<std::string> parse_json_string(std::string_view s, std::size_t& pos) {
  if (pos >= s.size() || s[pos] != '"') return std::nullopt;
  ++pos;
  std::string out;
  while (pos < s.size()) {
    char c = s[pos++];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (pos >= s.size()) return std::nullopt;
    char e = s[pos++];
    switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        if (pos + 4 > s.size()) return std::nullopt;
        int v = 0;
        for (int i = 0; i < 4; ++i) {
          int h = hex_value(s[pos++]);
          if (h < 0) return std::nullopt;
          v = v * 16 + h;
        }
        if (v > 0xff) return std::nullopt;
        out += static_cast<char>(static_cast<std::uint8_t>(v));
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;  // unterminated
}

}  // namespace

std::string encode_chain(const std::vector<std::string>& chain) {
  std::string out = "[";
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, chain[i]);
  }
  out += ']';
  return out;
}

std::optional<std::vector<std::string>> decode_chain(std::string_view json) {
  std::vector<std::string> chain;
  if (json.size() < 2 || json.front() != '[' || json.back() != ']') return std::nullopt;
  std::size_t pos = 1;
  if (json.size() == 2) return chain;
  while (true) {
    auto item = parse_json_string(json, pos);
    if (!item) return std::nullopt;
    chain.push_back(std::move(*item));
    if (pos >= json.size()) return std::nullopt;
    if (json[pos] == ']')
      return pos + 1 == json.size() ? std::optional(std::move(chain)) : std::nullopt;
    if (json[pos] != ',') return std::nullopt;
    ++pos;
  }
}

}  // namespace trustgate::store_codec
