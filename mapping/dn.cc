#include "mapping/dn.h"

namespace trustgate {
namespace {

// ASCII only (locale-independent and fast); other bytes are kept as written.
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_separator(char c) { return c == ',' || c == '=' || c == '+' || c == ';'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string normalize_dn(std::string_view dn) {
  std::string out;
  normalize_dn_into(dn, out);
  return out;
}

void normalize_dn_into(std::string_view dn, std::string& out) {
  // The result is never longer than the input: write through a pointer into a buffer of that
  // size (this runs for every member value of every group on every pass).
  out.resize(dn.size());
  char* const begin = out.data();
  char* p = begin;
  // Characters before `kept` must never be trimmed (they end with an escaped character).
  char* kept = begin;
  bool skip_spaces = true;  // at the start, and after a separator
  auto trim = [&] {
    while (p > kept && p[-1] == ' ') --p;
  };
  for (std::size_t i = 0; i < dn.size(); ++i) {
    const char c = dn[i];
    if (c == '\\' && i + 1 < dn.size()) {
      *p++ = '\\';
      *p++ = lower(dn[++i]);
      kept = p;
      skip_spaces = false;
      continue;
    }
    if (is_space(c)) {
      if (!skip_spaces) *p++ = ' ';
      continue;
    }
    if (is_separator(c)) {
      trim();
      *p++ = c == ';' ? ',' : c;  // ';' is an old RDN separator (RFC 1779)
      kept = p;
      skip_spaces = true;
      continue;
    }
    *p++ = lower(c);
    skip_spaces = false;
  }
  trim();
  out.resize(static_cast<std::size_t>(p - begin));
}

std::string first_rdn_value(std::string_view dn) {
  std::size_t i = 0;
  // Attribute type: up to the first '='.
  while (i < dn.size() && dn[i] != '=' && dn[i] != ',' && dn[i] != '+') ++i;
  if (i >= dn.size() || dn[i] != '=') return {};
  ++i;
  while (i < dn.size() && is_space(dn[i])) ++i;
  std::string value;
  std::size_t kept = 0;
  for (; i < dn.size(); ++i) {
    const char c = dn[i];
    if (c == '\\' && i + 1 < dn.size()) {
      const int hi = hex_value(dn[i + 1]);
      const int lo = i + 2 < dn.size() ? hex_value(dn[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        value.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        value.push_back(dn[++i]);
      }
      kept = value.size();
      continue;
    }
    if (c == ',' || c == '+' || c == ';') break;
    value.push_back(c);
  }
  while (value.size() > kept && is_space(value.back())) value.pop_back();
  return value;
}

}  // namespace trustgate
