#pragma once
// Typed reading of one TOML table for the config loader. Every problem (wrong type, value out
// of range, missing required key, key nobody asked for) becomes a ConfigIssue naming the file,
// the line and the dotted key; reading goes on so that all problems are reported at once.
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "daemon/config/config_loader.h"

namespace trustgate {

// 1-based line where `node` starts; 0 when toml++ does not know.
int toml_line(const toml::node& node);

class TableFields {
 public:
  // `prefix` is the dotted key of the table itself ("" for the document root, "rule[2]").
  // `table` and `issues` must outlive this object.
  TableFields(const toml::table& table, std::string file, std::string prefix,
              std::vector<ConfigIssue>& issues);
  TableFields(const TableFields&) = delete;
  TableFields& operator=(const TableFields&) = delete;

  // Each read() returns true and sets `out` when `key` is present with the right type (and in
  // range); when present but wrong it records an issue and leaves `out` alone; when absent it
  // returns false silently. Every key passed to read() counts as known for finish().
  bool read(std::string_view key, std::string& out);
  bool read(std::string_view key, bool& out);
  bool read(std::string_view key, int& out, int min, int max);
  bool read(std::string_view key, std::size_t& out);
  bool read(std::string_view key, double& out, double min, double max);  // accepts integers
  bool read(std::string_view key, std::vector<std::string>& out);
  // A sub-table ([source.users]); nullptr when absent or not a table (then an issue).
  const toml::table* table(std::string_view key);
  // An array of tables ([[rule]]); empty when absent or malformed (then an issue).
  std::vector<const toml::table*> tables(std::string_view key);

  // Records "missing required key" when `key` is absent, "must not be empty" when it is an
  // empty string. Wrong types are reported by read(), not here.
  void require(std::string_view key);
  // A key that is recognised only to be refused (inline secrets): an issue when present.
  void refuse(std::string_view key, std::string_view message);
  // An issue at `key` (its value's line, the table's when absent).
  void error(std::string_view key, std::string message);
  // An issue about the table as a whole (key = the prefix, line = the table's).
  void table_error(std::string message);
  // An issue at element `index` of the array at `key`.
  void element_error(std::string_view key, std::size_t index, std::string message);

  bool has(std::string_view key) const;
  int line() const;
  int line(std::string_view key) const;
  std::string key_path(std::string_view key) const;
  const std::string& file() const { return file_; }
  const std::string& prefix() const { return prefix_; }

  // Reports every key of the table that no read()/table()/require()/refuse() asked for, with
  // a suggestion when a known key is close ("instituions" -> "institutions").
  void finish();

 private:
  const toml::node* find(std::string_view key);
  void wrong_type(std::string_view key, const toml::node& node, std::string_view expected);
  void add(int line, std::string key, std::string message);

  const toml::table& table_;
  std::string file_;
  std::string prefix_;
  std::vector<ConfigIssue>& issues_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace trustgate
