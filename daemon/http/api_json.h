#pragma once
// JSON in and out of the API (Poco::JSON documents, written out by json_writer.h's escaping) and
// validation of what clients send.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/error.h"
#include "daemon/http/api_types.h"

namespace trustgate {

inline constexpr std::size_t kMaxIdBytes = 256;
inline constexpr std::size_t kMaxJsonDepth = 16;

Poco::JSON::Object::Ptr json_object();  // keeps insertion order
std::string to_json(const Poco::JSON::Object::Ptr& obj);

ApiResponse json_response(int status, const Poco::JSON::Object::Ptr& obj);
ApiResponse json_response(int status, std::string json);  // JSON text already written
// {"error":{"code":..., "message":..., <extra fields>}}
ApiResponse error_response(int status, std::string_view code, std::string_view message,
                           const Poco::JSON::Object::Ptr& extra = nullptr);

bool is_valid_utf8(std::string_view s);
// An identifier a client may send (user, institution, cluster ids; usernames): 1..256 bytes of
// valid UTF-8 without control characters.
bool is_valid_id(std::string_view s);

// Parses a request body that must be a JSON object (UTF-8, depth <= kMaxJsonDepth).
// Error codes: "invalid_utf8", "malformed_json".
Result<Poco::JSON::Object::Ptr> parse_json_object(std::string_view body);

// Typed fields. Error code "invalid_field" naming the key. Absent -> nullopt.
Result<std::optional<std::string>> get_id(const Poco::JSON::Object::Ptr& obj,
                                          const std::string& key);
Result<std::optional<bool>> get_bool(const Poco::JSON::Object::Ptr& obj, const std::string& key);
Result<std::optional<std::int64_t>> get_int(const Poco::JSON::Object::Ptr& obj,
                                            const std::string& key);
// A string of at most `max` bytes (not necessarily an id, e.g. a ticket).
Result<std::optional<std::string>> get_string(const Poco::JSON::Object::Ptr& obj,
                                              const std::string& key, std::size_t max);

}  // namespace trustgate
