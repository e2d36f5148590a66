#pragma once
// How paths written in a config file are resolved.
#include <filesystem>
#include <optional>
#include <string>

namespace trustgate {

// Absolute paths are kept; relative ones are relative to `config_dir`, the folder of the file
// that declares them (not the working directory). The result is lexically normalised.
std::string resolve_config_path(const std::filesystem::path& config_dir, const std::string& path);

// For files holding secrets (bind_password_file, secret_file, tls_key): a relative path is
// first looked up in `credentials_dir` (systemd's $CREDENTIALS_DIRECTORY, from
// LoadCredential=) and used from there when that file exists; otherwise as above.
std::string resolve_secret_path(const std::filesystem::path& config_dir, const std::string& path,
                                const std::optional<std::string>& credentials_dir);

}  // namespace trustgate
