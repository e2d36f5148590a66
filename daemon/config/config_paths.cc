#include "daemon/config/config_paths.h"

#include <system_error>

namespace trustgate {

std::string resolve_config_path(const std::filesystem::path& config_dir, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (config_dir / p).lexically_normal().string();
}

std::string resolve_secret_path(const std::filesystem::path& config_dir, const std::string& path,
                                const std::optional<std::string>& credentials_dir) {
  const std::filesystem::path p(path);
  if (p.is_relative() && credentials_dir && !credentials_dir->empty()) {
    const std::filesystem::path candidate =
        (std::filesystem::path(*credentials_dir) / p).lexically_normal();
    std::error_code ec;
    if (std::filesystem::exists(candidate, ec)) return candidate.string();
  }
  return resolve_config_path(config_dir, path);
}

}  // namespace trustgate
