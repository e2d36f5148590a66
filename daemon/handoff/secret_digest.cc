#include "daemon/handoff/secret_digest.h"

#include <array>
#include <cstdint>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace trustgate {
namespace {

constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kB64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Character -> 6-bit value (-1: not in the alphabet), by table: no early exit on the secret's
// characters, and no 64-step search per character.
struct Alphabet {
  explicit constexpr Alphabet(const char* chars) : value{} {
    for (auto& v : value) v = -1;
    for (int i = 0; i < 64; ++i)
      value[static_cast<unsigned char>(chars[i])] = static_cast<int8_t>(i);
  }
  std::array<std::int8_t, 256> value;
};
constexpr Alphabet kUrlAlphabet(kB64Url);
constexpr Alphabet kStdAlphabet(kB64Std);

int index_of(const char* alphabet, char c) {
  const Alphabet& a = alphabet == kB64Url ? kUrlAlphabet : kStdAlphabet;
  return a.value[static_cast<unsigned char>(c)];
}

// Decodes groups of 4 (the last one possibly short, no padding). Rejects non-canonical input
// (leftover bits set, impossible lengths).
std::optional<std::string> decode(const char* alphabet, std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = index_of(alphabet, c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

Sha256 sha256(std::string_view data) {
  // Fetched once: SHA256() looks the algorithm up in the provider on every call, which cost
  // more than hashing a ticket.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  Sha256 out{};
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 ||
      len != out.size()) {
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  }
  return out;
}

Sha256 hmac_sha256(std::string_view key, std::string_view data) {
  Sha256 out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (auto b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kB64Url[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kB64Url[(acc << (6 - bits)) & 0x3F]);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) { return decode(kB64Url, text); }

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && text.size() > pad && text[text.size() - 1 - pad] == '=') ++pad;
  return decode(kB64Std, text.substr(0, text.size() - pad));
}

}  // namespace trustgate
