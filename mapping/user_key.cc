#include "mapping/user_key.h"

namespace trustgate {

UserKey parse_user_key(std::string_view text) {
  if (text.starts_with(kUserIdPrefix)) {
    return {UserKey::Kind::Id, std::string(text.substr(kUserIdPrefix.size()))};
  }
  return {UserKey::Kind::Username, std::string(text)};
}

std::string to_string(const UserKey& key) {
  return key.kind == UserKey::Kind::Id ? id_key(key.value) : key.value;
}

std::string id_key(std::string_view id) {
  std::string out(kUserIdPrefix);
  out += id;
  return out;
}

}  // namespace trustgate
