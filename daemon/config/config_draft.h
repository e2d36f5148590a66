#pragma once
// The config loader's working state: the Config being filled document by document (main file,
// then drop-ins), where each entity was declared, and every issue found so far. Checks that
// span documents (duplicate ids, references) run on the draft once all documents are read.
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "daemon/config/config_loader.h"

namespace trustgate {

// Where one entity ([[rule]], [[source]], ...) was declared.
struct ConfigOrigin {
  std::string file;
  std::string key;                     // "rule[2]", "source[demo]"
  const toml::table* table = nullptr;  // owned by ConfigDraft::documents

  int line() const;
  int line(std::string_view field) const;  // the value's line; the table's when absent
  int element_line(std::string_view field, std::size_t index) const;
  std::string key_path(std::string_view field) const;  // "rule[2].roles"
};

struct ConfigDraft {
  Config config;
  std::vector<ConfigIssue> issues;
  // Parallel to the vectors of `config` (and `config.mapping`) of the same name.
  std::vector<ConfigOrigin> permissions, roles, institutions, clusters, rules, institution_rules,
      sources, clients;
  SettingLocations settings;
  std::optional<std::string> credentials_directory;  // $CREDENTIALS_DIRECTORY
  std::deque<toml::table> documents;                 // parsed documents, kept for line look-ups

  void add_issue(const ConfigOrigin& origin, std::string_view field, int line, std::string message);
  // An issue at a scalar setting; at `fallback_file` line 0 when it was never set.
  void add_setting_issue(const std::string& key, const std::string& fallback_file,
                         std::string message);
};

}  // namespace trustgate
