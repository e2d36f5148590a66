#pragma once
// Where secrets are: systemd's LoadCredential= copies each secret into the read-only folder
// named by $CREDENTIALS_DIRECTORY. Config files name a secret by a relative path, usually a
// bare credential name such as "ldap-bind-password"; resolve_secret_path (daemon/
// config_paths.h) prefers that folder, which CredentialPaths::directory() supplies.
#include <filesystem>
#include <optional>
#include <string_view>

namespace trustgate {

class CredentialPaths {
 public:
  // `directory`: the credentials folder, or nullopt when the process has none.
  explicit CredentialPaths(std::optional<std::filesystem::path> directory)
      : directory_(std::move(directory)) {}

  // From $CREDENTIALS_DIRECTORY (unset or empty: no credentials folder).
  static CredentialPaths from_environment();

  const std::optional<std::filesystem::path>& directory() const { return directory_; }

  // The file holding credential `name` (a plain file name, no '/', not "." or ".."); nullopt
  // when there is no credentials folder or the name is not a valid credential name. Does
  // not check that the file exists.
  std::optional<std::filesystem::path> find(std::string_view name) const;

 private:
  std::optional<std::filesystem::path> directory_;
};

// True when `name` can be a systemd credential name: non-empty, at most 255 bytes, no '/',
// no control characters, not "." or "..".
bool is_credential_name(std::string_view name);

}  // namespace trustgate
