#pragma once
// Small cryptographic helpers for credentials: SHA-256, constant-time comparison and the text
// encodings used for tickets (base64url without padding) and ids (lower-case hex).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace trustgate {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::string_view data);
// HMAC-SHA256 (RFC 2104) of `data` under `key`.
Sha256 hmac_sha256(std::string_view key, std::string_view data);

// Equality that takes the same time wherever the inputs differ (OpenSSL's CRYPTO_memcmp).
// Inputs of different sizes compare unequal (their sizes are not secret).
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

std::string to_hex(std::span<const std::uint8_t> bytes);
std::string base64url_encode(std::span<const std::uint8_t> bytes);  // no padding
// nullopt unless `text` is canonical unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);
// Standard base64 (with padding), for HTTP Basic credentials. nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace trustgate
