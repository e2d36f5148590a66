#pragma once
// Active Directory's objectGUID in its canonical string form.
#include <optional>
#include <string>
#include <string_view>

namespace trustgate {

// Formats the 16 raw bytes of an objectGUID as AD shows it
// ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case): the first three fields are stored
// little-endian. Returns nullopt when `raw` is not 16 bytes long.
std::optional<std::string> format_object_guid(std::string_view raw);

}  // namespace trustgate
