#include "daemon/config/config_draft.h"

#include <utility>

#include <fmt/format.h>

#include "daemon/config/config_fields.h"

namespace trustgate {

int ConfigOrigin::line() const { return table != nullptr ? toml_line(*table) : 0; }

int ConfigOrigin::line(std::string_view field) const {
  const toml::node* node = table != nullptr ? table->get(field) : nullptr;
  return node != nullptr ? toml_line(*node) : line();
}

int ConfigOrigin::element_line(std::string_view field, std::size_t index) const {
  const toml::array* array = table != nullptr ? table->get_as<toml::array>(field) : nullptr;
  if (array == nullptr || index >= array->size()) return line(field);
  return toml_line(*array->get(index));
}

std::string ConfigOrigin::key_path(std::string_view field) const {
  return fmt::format("{}.{}", key, field);
}

void ConfigDraft::add_issue(const ConfigOrigin& origin, std::string_view field, int line,
                            std::string message) {
  issues.push_back(ConfigIssue{origin.file, line, origin.key_path(field), std::move(message)});
}

void ConfigDraft::add_setting_issue(const std::string& key, const std::string& fallback_file,
                                    std::string message) {
  issues.push_back(setting_issue(settings, key, fallback_file, std::move(message)));
}

}  // namespace trustgate
