// Fuzz target: the API's JSON body parser. One input is a request body: parse_json_object, then
// the typed field readers on the keys the handlers read, and the object written back out.
// Contract under test: any body gives an object or an "invalid_utf8"/"malformed_json" error,
// never a crash, a hang or an exception, and an accepted body was valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/http/api_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)trustgate::is_valid_id(body);
  auto obj = trustgate::parse_json_object(body);
  if (!obj) return 0;
  if (!trustgate::is_valid_utf8(body)) std::abort();
  for (const char* key : {"user", "institution", "target", "kind"}) {
    (void)trustgate::get_id(*obj, key);
  }
  (void)trustgate::get_bool(*obj, "mfa");
  (void)trustgate::get_int(*obj, "auth_time");
  (void)trustgate::get_string(*obj, "ticket", 512);
  (void)trustgate::to_json(*obj);
  return 0;
}
