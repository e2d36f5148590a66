#include "tests/oracle/letter_case.h"

#include <utility>

namespace trustgate::oracle {
namespace {

// (small, capital) pairs beyond ASCII.
const std::pair<const char*, const char*> kPairs[] = {
    {"\xC5\xBC", "\xC5\xBB"},  // ż Ż
    {"\xC3\xB3", "\xC3\x93"},  // ó Ó
    {"\xC5\x82", "\xC5\x81"},  // ł Ł
    {"\xC5\x9B", "\xC5\x9A"},  // ś Ś
    {"\xC3\xA9", "\xC3\x89"},  // é É
};

}  // namespace

std::vector<std::string> code_points(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.emplace_back(text.substr(i, n));
    i += n;
  }
  return out;
}

std::string upper(const std::string& cp) {
  if (cp.size() == 1 && cp[0] >= 'a' && cp[0] <= 'z') return std::string(1, cp[0] - 'a' + 'A');
  if (cp == "\xC3\x9F") return "SS";  // ß
  for (const auto& [small, capital] : kPairs) {
    if (cp == small) return capital;
  }
  return cp;
}

std::string lower(const std::string& cp) {
  if (cp.size() == 1 && cp[0] >= 'A' && cp[0] <= 'Z') return std::string(1, cp[0] - 'A' + 'a');
  for (const auto& [small, capital] : kPairs) {
    if (cp == capital) return small;
  }
  return cp;
}

std::string decomposed(const std::string& cp) {
  if (cp == "\xC3\xB3") return "o\xCC\x81";
  if (cp == "\xC3\x93") return "O\xCC\x81";
  if (cp == "\xC3\xA9") return "e\xCC\x81";
  if (cp == "\xC3\x89") return "E\xCC\x81";
  return {};
}

bool is_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string capitalised(std::string_view text) {
  auto cps = code_points(text);
  std::string out;
  for (std::size_t i = 0; i < cps.size(); ++i)
    out += i == 0 && cps[i] != "\xC3\x9F" ? upper(cps[i]) : cps[i];
  return out;
}

}  // namespace trustgate::oracle
