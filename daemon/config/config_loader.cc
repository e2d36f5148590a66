// Loading trustgate's TOML configuration. The format, in short (every key is described in
// config_format.md):
//
//   [daemon]    database log_level sync_interval batch_millis
//   [safety]    max_grant_removals max_grant_removal_share
//   [http]      listen tls_cert tls_key tls_client_ca require_client_cert max_body_bytes
//               max_connections idle_timeout request_timeout threads event_loops
//               max_connections_per_client auth_max_failures auth_failure_window
//   [handoff]   ttl_seconds (1..300) max_age_seconds
//   [audit]     retention_days max_rows failure_rows_per_second
//   [[source]]  name type(ldif|ldap|ad) path url start_tls bind_dn bind_password_file
//               sasl_external ca_file tls_verify page_size timeout incremental
//               reconcile_interval, poll_interval (ad), with [source.users] and [source.groups]
//               schema tables
//   [[permission]] [[role]] [[institution]] [[cluster]] [[rule]] [[institution_rule]]
//   [[client]]
//
// Files: the main file, then `<main>.d/*.toml` (or the given folder) in name order. Scalar
// tables in a later file override the keys they set; arrays of tables append. Relative paths
// are relative to the folder of the file declaring them; secret files are looked up in
// $CREDENTIALS_DIRECTORY first. Secrets are never inline.
//
// Every problem is reported, each with file, line and dotted key ("rule[2].institutions",
// "source[demo].url"); indexes count [[...]] tables within their own file, from 0; sources
// are named by their name. A Config is returned only when there is no problem at all.
#include "daemon/config/config_loader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "common/private_files.h"
#include "daemon/config/config_draft.h"
#include "daemon/config/config_reader.h"
#include "daemon/config/config_validation.h"

namespace trustgate {
namespace {

namespace fs = std::filesystem;

// Parses `file` and reads it onto `draft`; syntax errors become issues.
void load_document(const std::string& file, ConfigDraft& draft) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    draft.issues.push_back(ConfigIssue{
        file, 0, "", fs::exists(file, ec) ? "not a regular file" : "config file not found"});
    return;
  }
  try {
    draft.documents.push_back(toml::parse_file(file));
  } catch (const toml::parse_error& e) {
    draft.issues.push_back(ConfigIssue{file, static_cast<int>(e.source().begin.line), "",
                                       fmt::format("TOML syntax error: {}", e.description())});
    return;
  } catch (const std::exception& e) {
    draft.issues.push_back(ConfigIssue{file, 0, "", fmt::format("cannot read: {}", e.what())});
    return;
  }
  read_config_document(draft.documents.back(), file, draft);
}

// The drop-in files of `dir`, *.toml in name order.
std::vector<std::string> dropin_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".toml" && entry.is_regular_file(ec)) {
      files.push_back(entry.path());
    }
  }
  std::ranges::sort(files, {}, [](const fs::path& p) { return p.filename().string(); });
  std::vector<std::string> out;
  for (const fs::path& p : files) out.push_back(p.string());
  return out;
}

}  // namespace

ConfigLoad load_config(const std::string& path, std::optional<std::string> dropin_dir) {
  ConfigDraft draft;
  draft.config.path = path;
  if (const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
      credentials != nullptr && *credentials != '\0') {
    draft.credentials_directory = credentials;
  }

  std::vector<std::string> files = {path};
  const bool dropins_explicit = dropin_dir.has_value();
  const fs::path dir = dropins_explicit ? fs::path(*dropin_dir) : fs::path(path + ".d");
  std::error_code ec;
  if (fs::is_directory(dir, ec)) {
    for (std::string& f : dropin_files(dir)) files.push_back(std::move(f));
  } else if (dropins_explicit) {
    draft.issues.push_back(ConfigIssue{dir.string(), 0, "", "drop-in folder not found"});
  }

  for (const std::string& file : files) load_document(file, draft);
  validate_config(draft);

  // Report in reading order: by file, then by line.
  std::ranges::stable_sort(draft.issues, {}, [&files](const ConfigIssue& issue) {
    const auto it = std::ranges::find(files, issue.file);
    return std::pair(it - files.begin(), issue.line);
  });

  ConfigLoad out;
  out.issues = std::move(draft.issues);
  out.settings = std::move(draft.settings);
  if (out.issues.empty()) out.config = std::move(draft.config);
  return out;
}

ConfigIssue setting_issue(const SettingLocations& settings, const std::string& key,
                          const std::string& fallback_file, std::string message) {
  const auto it = settings.find(key);
  if (it == settings.end()) return ConfigIssue{fallback_file, 0, key, std::move(message)};
  return ConfigIssue{it->second.file, it->second.line, key, std::move(message)};
}

std::string format_issue(const ConfigIssue& issue) {
  std::string out = issue.file;
  if (issue.line > 0) out += fmt::format(":{}", issue.line);
  out += ": ";
  if (!issue.key.empty()) out += issue.key + ": ";
  out += issue.message;
  return out;
}

}  // namespace trustgate
