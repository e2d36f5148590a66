#include "daemon/config/config_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

namespace trustgate {
namespace {

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

int toml_line(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

TableFields::TableFields(const toml::table& table, std::string file, std::string prefix,
                         std::vector<ConfigIssue>& issues)
    : table_(table), file_(std::move(file)), prefix_(std::move(prefix)), issues_(issues) {}

const toml::node* TableFields::find(std::string_view key) {
  known_.emplace(key);
  return table_.get(key);
}

bool TableFields::has(std::string_view key) const { return table_.get(key) != nullptr; }

int TableFields::line() const { return toml_line(table_); }

int TableFields::line(std::string_view key) const {
  const toml::node* node = table_.get(key);
  return node != nullptr ? toml_line(*node) : line();
}

std::string TableFields::key_path(std::string_view key) const {
  if (prefix_.empty()) return std::string(key);
  return fmt::format("{}.{}", prefix_, key);
}

void TableFields::add(int line, std::string key, std::string message) {
  issues_.push_back(ConfigIssue{file_, line, std::move(key), std::move(message)});
}

void TableFields::error(std::string_view key, std::string message) {
  add(line(key), key_path(key), std::move(message));
}

void TableFields::table_error(std::string message) { add(line(), prefix_, std::move(message)); }

void TableFields::element_error(std::string_view key, std::size_t index, std::string message) {
  int at = line(key);
  if (const toml::array* array = table_.get_as<toml::array>(key);
      array != nullptr && index < array->size()) {
    at = toml_line(*array->get(index));
  }
  add(at, key_path(key), std::move(message));
}

void TableFields::wrong_type(std::string_view key, const toml::node& node,
                             std::string_view expected) {
  add(toml_line(node), key_path(key),
      fmt::format("expected {}, got {}", expected, type_name(node)));
}

bool TableFields::read(std::string_view key, std::string& out) {
  const toml::node* node = find(key);
  if (node == nullptr) return false;
  if (const auto* value = node->as_string()) {
    out = value->get();
    return true;
  }
  wrong_type(key, *node, "a string");
  return false;
}

bool TableFields::read(std::string_view key, bool& out) {
  const toml::node* node = find(key);
  if (node == nullptr) return false;
  if (const auto* value = node->as_boolean()) {
    out = value->get();
    return true;
  }
  wrong_type(key, *node, "a boolean (true or false)");
  return false;
}

bool TableFields::read(std::string_view key, int& out, int min, int max) {
  const toml::node* node = find(key);
  if (node == nullptr) return false;
  const auto* value = node->as_integer();
  if (value == nullptr) {
    wrong_type(key, *node, "an integer");
    return false;
  }
  const std::int64_t v = value->get();
  if (v < min || v > max) {
    add(toml_line(*node), key_path(key),
        fmt::format("must be between {} and {}, got {}", min, max, v));
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

bool TableFields::read(std::string_view key, std::size_t& out) {
  const toml::node* node = find(key);
  if (node == nullptr) return false;
  const auto* value = node->as_integer();
  if (value == nullptr) {
    wrong_type(key, *node, "an integer");
    return false;
  }
  if (value->get() < 0) {
    add(toml_line(*node), key_path(key), fmt::format("must not be negative, got {}", value->get()));
    return false;
  }
  out = static_cast<std::size_t>(value->get());
  return true;
}

bool TableFields::read(std::string_view key, double& out, double min, double max) {
  const toml::node* node = find(key);
  if (node == nullptr) return false;
  double v = 0;
  if (const auto* f = node->as_floating_point()) {
    v = f->get();
  } else if (const auto* i = node->as_integer()) {
    v = static_cast<double>(i->get());
  } else {
    wrong_type(key, *node, "a number");
    return false;
  }
  if (std::isnan(v) || v < min || v > max) {
    add(toml_line(*node), key_path(key), fmt::format("must be between {} and {}", min, max));
    return false;
  }
  out = v;
  return true;
}

bool TableFields::read(std::string_view key, std::vector<std::string>& out) {
  const toml::node* node = find(key);
  if (node == nullptr) return false;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    wrong_type(key, *node, "an array of strings");
    return false;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (const auto* s = element.as_string()) {
      values.push_back(s->get());
    } else {
      add(toml_line(element), fmt::format("{}[{}]", key_path(key), i),
          fmt::format("expected a string, got {}", type_name(element)));
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

const toml::table* TableFields::table(std::string_view key) {
  const toml::node* node = find(key);
  if (node == nullptr) return nullptr;
  if (const toml::table* t = node->as_table()) return t;
  wrong_type(key, *node, fmt::format("a table ([{}])", key_path(key)));
  return nullptr;
}

std::vector<const toml::table*> TableFields::tables(std::string_view key) {
  const toml::node* node = find(key);
  if (node == nullptr) return {};
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    wrong_type(key, *node, fmt::format("an array of tables ([[{}]])", key_path(key)));
    return {};
  }
  std::vector<const toml::table*> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (const toml::table* t = element.as_table()) {
      out.push_back(t);
    } else {
      add(toml_line(element), fmt::format("{}[{}]", key_path(key), i),
          fmt::format("expected a table ([[{}]]), got {}", key_path(key), type_name(element)));
    }
  }
  return out;
}

void TableFields::require(std::string_view key) {
  const toml::node* node = find(key);
  if (node == nullptr) {
    add(line(), key_path(key), "missing required key");
  } else if (const auto* s = node->as_string(); s != nullptr && s->get().empty()) {
    add(toml_line(*node), key_path(key), "must not be empty");
  }
}

void TableFields::refuse(std::string_view key, std::string_view message) {
  const toml::node* node = find(key);
  if (node != nullptr) add(toml_line(*node), key_path(key), std::string(message));
}

void TableFields::finish() {
  for (auto&& [key, node] : table_) {
    const std::string_view name = key.str();
    if (known_.contains(name)) continue;
    std::string message = "unknown key";
    std::size_t best = 3;  // suggest only close matches
    for (const std::string& candidate : known_) {
      const std::size_t d = edit_distance(name, candidate);
      if (d < best) {
        best = d;
        message = fmt::format("unknown key (did you mean '{}'?)", candidate);
      }
    }
    const int at =
        key.source().begin.line != 0 ? static_cast<int>(key.source().begin.line) : toml_line(node);
    add(at, key_path(name), std::move(message));
  }
}

}  // namespace trustgate
