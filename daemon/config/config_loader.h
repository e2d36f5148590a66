#pragma once
// Loading the configuration: the main file and its drop-in folder, parsed, read onto the value
// types of config.h and validated, with every problem reported (file, line, dotted key). The
// format is described at the top of config_loader.cc and in docs/configuration.md.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.h"

namespace trustgate {

struct ConfigIssue {
  std::string file;
  int line = 0;     // 1-based; 0 when unknown
  std::string key;  // dotted: "rule[2].institutions", "source[ad].url"
  std::string message;
};

// Where a scalar setting ("http.tls_cert") was last set.
struct ConfigLocation {
  std::string file;
  int line = 0;
};
using SettingLocations = std::map<std::string, ConfigLocation>;  // by dotted key

struct ConfigLoad {
  std::optional<Config> config;     // set only when `issues` is empty
  std::vector<ConfigIssue> issues;  // every problem found, not just the first
  SettingLocations settings;        // for issues found by checks run after loading
};

// Reads and validates `path` and its drop-in folder (`<path>.d/` unless `dropin_dir` given).
ConfigLoad load_config(const std::string& path, std::optional<std::string> dropin_dir = {});

// An issue at the scalar setting `key` where it was last set; at `fallback_file` line 0 when it
// was never set.
ConfigIssue setting_issue(const SettingLocations& settings, const std::string& key,
                          const std::string& fallback_file, std::string message);

// "file:line: key: message"
std::string format_issue(const ConfigIssue& issue);

}  // namespace trustgate
