#include "daemon/systemd/credentials.h"

#include <cstdlib>

namespace trustgate {

bool is_credential_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

CredentialPaths CredentialPaths::from_environment() {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir == nullptr || *dir == '\0') return CredentialPaths(std::nullopt);
  return CredentialPaths(std::filesystem::path(dir));
}

std::optional<std::filesystem::path> CredentialPaths::find(std::string_view name) const {
  if (!directory_ || !is_credential_name(name)) return std::nullopt;
  return *directory_ / std::filesystem::path(name);
}

}  // namespace trustgate
