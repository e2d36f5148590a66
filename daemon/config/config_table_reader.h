#pragma once
// What config_reader's table readers share (internal to daemon/config): the document being
// read, the draft it is read onto, and the readers of values that need either (paths relative
// to the document, secret files, where a key was set).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "daemon/config/config_draft.h"
#include "daemon/config/config_fields.h"
#include "daemon/config/config_paths.h"

namespace trustgate::config_reading {

namespace fs = std::filesystem;

inline constexpr std::string_view kInlineSecretMessage = "secrets must come from files: use {}";

// ASCII lower case (URL schemes, source types).
inline std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

class TableReader {
 public:
  TableReader(const std::string& file, ConfigDraft& draft)
      : file_(file), dir_(fs::absolute(fs::path(file)).parent_path()), draft_(draft) {}

 protected:
  // Reads each table of the array of tables `key` with `read(table, index)`.
  template <typename Read>
  void each(TableFields& root, std::string_view key, Read read) {
    const std::vector<const toml::table*> tables = root.tables(key);
    for (std::size_t i = 0; i < tables.size(); ++i) read(*tables[i], i);
  }

  // Remembers where each key of a scalar table was set (later drop-ins overwrite).
  void record_settings(const toml::table& table, std::string_view prefix) {
    for (auto&& [key, node] : table) {
      draft_.settings[fmt::format("{}.{}", prefix, key.str())] =
          ConfigLocation{file_, toml_line(node)};
    }
  }

  ConfigOrigin origin(const toml::table& table, std::string key) const {
    return ConfigOrigin{file_, std::move(key), &table};
  }

  // "kind[index]", or "kind[name]" when the entity has a non-empty string `name_key`.
  static std::string entity_key(const toml::table& table, std::string_view kind, std::size_t index,
                                std::string_view name_key) {
    if (const auto* name = table.get_as<std::string>(name_key); name && !name->get().empty()) {
      return fmt::format("{}[{}]", kind, name->get());
    }
    return fmt::format("{}[{}]", kind, index);
  }

  // A non-secret file path: resolved, not checked (the component using it reports).
  void read_path(TableFields& f, std::string_view key, std::string& out) {
    std::string value;
    if (!f.read(key, value)) return;
    out = value.empty() ? std::string() : resolve_config_path(dir_, value);
  }

  // A file holding a secret: resolved (credentials directory first) and required to exist.
  // Only the path is ever reported, never the content.
  void read_secret_path(TableFields& f, std::string_view key, std::string& out) {
    std::string value;
    if (!f.read(key, value) || value.empty()) return;  // empty: unset (require() reports)
    out = resolve_secret_path(dir_, value, draft_.credentials_directory);
    std::error_code ec;
    const fs::file_status status = fs::status(out, ec);
    if (!fs::exists(status)) {
      const bool looked_in_credentials =
          fs::path(value).is_relative() && draft_.credentials_directory.has_value();
      f.error(key, fmt::format("secret file not found: {}{}", out,
                               looked_in_credentials ? " (nor in $CREDENTIALS_DIRECTORY)" : ""));
    } else if (!fs::is_regular_file(status)) {
      f.error(key, fmt::format("secret file is not a regular file: {}", out));
    }
  }

  // A string that must not be empty when given.
  void read_nonempty(TableFields& f, std::string_view key, std::string& out) {
    std::string value;
    if (!f.read(key, value)) return;
    if (value.empty()) {
      f.error(key, "must not be empty");
      return;
    }
    out = std::move(value);
  }

  void read_second_factor(TableFields& f, SecondFactorPolicy& out) {
    std::string value;
    if (!f.read("skip_second_factor", value)) return;
    if (const auto policy = second_factor_policy_from_string(value)) {
      out = *policy;
    } else {
      f.error("skip_second_factor", "must be \"always\" or \"when_mfa\"");
    }
  }

  const std::string& file_;
  fs::path dir_;
  ConfigDraft& draft_;
};

}  // namespace trustgate::config_reading
