#include "daemon/config/config_mapping_reader.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "daemon/config/config_table_reader.h"
#include "mapping/group_pattern.h"

namespace trustgate {
namespace {

using namespace config_reading;

// The highest $N (N in 1..9) that `s` uses; 0 when none.
int max_capture(std::string_view s) {
  int highest = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '$' && s[i + 1] >= '1' && s[i + 1] <= '9')
      highest = std::max(highest, s[i + 1] - '0');
  }
  return highest;
}

bool is_http_url(std::string_view url) {
  const std::string l = lower(url.substr(0, 8));
  return l.starts_with("https://") || l.starts_with("http://");
}

// The group matcher of a [[rule]] or [[institution_rule]].
struct MatcherRead {
  GroupMatcher matcher;
  bool valid = false;     // exactly one matcher, well-formed
  unsigned captures = 0;  // capture groups of a valid pattern
};

class MappingReader : public TableReader {
 public:
  using TableReader::TableReader;

  void read(TableFields& root) {
    each(root, "permission",
         [this](const toml::table& t, std::size_t i) { read_permission(t, i); });
    each(root, "role", [this](const toml::table& t, std::size_t i) { read_role(t, i); });
    each(root, "institution",
         [this](const toml::table& t, std::size_t i) { read_institution(t, i); });
    each(root, "cluster", [this](const toml::table& t, std::size_t i) { read_cluster(t, i); });
    each(root, "rule", [this](const toml::table& t, std::size_t i) { read_rule(t, i); });
    each(root, "institution_rule",
         [this](const toml::table& t, std::size_t i) { read_institution_rule(t, i); });
  }

 private:
  void read_permission(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("permission[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    Permission p;
    f.read("id", p.id);
    f.require("id");
    f.read("name", p.name);
    if (p.name.empty()) p.name = p.id;
    f.finish();
    draft_.config.mapping.permissions.push_back(std::move(p));
    draft_.permissions.push_back(origin(t, key));
  }

  void read_role(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("role[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    Role r;
    f.read("id", r.id);
    f.require("id");
    f.read("name", r.name);
    if (r.name.empty()) r.name = r.id;
    f.read("permissions", r.permissions);
    f.finish();
    draft_.config.mapping.roles.push_back(std::move(r));
    draft_.roles.push_back(origin(t, key));
  }

  void read_mis_url(TableFields& f, std::string& out) {
    std::string url;
    if (!f.read("mis_url", url)) return;
    if (!url.empty() && !is_http_url(url)) {
      f.error("mis_url", "must be an https:// (or http://) URL");
      return;
    }
    out = std::move(url);
  }

  void read_institution(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("institution[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    Institution i;
    f.read("id", i.id);
    f.require("id");
    f.read("name", i.name);
    if (i.name.empty()) i.name = i.id;
    read_mis_url(f, i.mis_url);
    read_second_factor(f, i.skip_second_factor);
    f.finish();
    draft_.config.mapping.institutions.push_back(std::move(i));
    draft_.institutions.push_back(origin(t, key));
  }

  void read_cluster(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("cluster[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    Cluster c;
    f.read("id", c.id);
    f.require("id");
    f.read("name", c.name);
    if (c.name.empty()) c.name = c.id;
    f.read("institutions", c.institutions);
    f.finish();
    draft_.config.mapping.clusters.push_back(std::move(c));
    draft_.clusters.push_back(origin(t, key));
  }

  MatcherRead read_matcher(TableFields& f) {
    static constexpr std::array<std::pair<std::string_view, GroupMatcher::Kind>, 3> kKeys = {{
        {"group_dn", GroupMatcher::Kind::Dn},
        {"group_id", GroupMatcher::Kind::StableId},
        {"group_pattern", GroupMatcher::Kind::Pattern},
    }};
    MatcherRead out;
    std::string_view first;
    bool all_valid = true;
    for (const auto& [key, kind] : kKeys) {
      std::string value;
      const bool ok = f.read(key, value);
      if (!f.has(key)) continue;
      if (!first.empty()) {
        f.error(key, fmt::format("give only one of group_dn, group_id or group_pattern ({} is "
                                 "also set)",
                                 first));
        all_valid = false;
      } else {
        first = key;
      }
      if (!ok) {  // wrong type, reported
        all_valid = false;
        continue;
      }
      if (value.empty()) {
        f.error(key, "must not be empty");
        all_valid = false;
        continue;
      }
      if (kind == GroupMatcher::Kind::Pattern) {
        if (auto pattern = GroupPattern::compile(value); pattern) {
          out.captures = static_cast<unsigned>(pattern->capture_count());
        } else {
          f.error(key, fmt::format("invalid regex: {}", pattern.error().message));
          all_valid = false;
        }
      }
      if (first == key) out.matcher = GroupMatcher{kind, value};
    }
    out.valid = all_valid && !first.empty();
    if (first.empty()) f.table_error("give one of group_dn, group_id or group_pattern");
    return out;
  }

  // Reports $N in `value` (at `key`, or element `index` of the array at `key`) that the
  // matcher cannot provide.
  void check_captures(TableFields& f, const MatcherRead& m, std::string_view key,
                      std::string_view value, std::optional<std::size_t> index = {}) {
    const int used = max_capture(value);
    if (used == 0 || !m.valid) return;
    std::string problem;
    if (m.matcher.kind != GroupMatcher::Kind::Pattern) {
      problem = fmt::format("'{}' uses ${} but only group_pattern has captures", value, used);
    } else if (static_cast<unsigned>(used) > m.captures) {
      problem = fmt::format("'{}' uses ${} but group_pattern has {} capture group(s)", value, used,
                            m.captures);
    } else {
      return;
    }
    if (index) {
      f.element_error(key, *index, std::move(problem));
    } else {
      f.error(key, std::move(problem));
    }
  }

  void check_captures(TableFields& f, const MatcherRead& m, std::string_view key,
                      const std::vector<std::string>& values) {
    for (std::size_t i = 0; i < values.size(); ++i) check_captures(f, m, key, values[i], i);
  }

  void read_rule(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("rule[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    MappingRule r;
    f.read("id", r.id);
    f.require("id");
    const MatcherRead m = read_matcher(f);
    r.group = m.matcher;
    std::string source;
    if (f.read("source", source)) {
      if (source.empty()) {
        f.error("source", "must not be empty (leave it out to match groups of every source)");
      } else {
        r.source = source;
      }
    }
    f.read("roles", r.roles);
    f.read("institutions", r.institutions);
    f.read("clusters", r.clusters);
    f.read("all_institutions", r.all_institutions);
    check_captures(f, m, "roles", r.roles);
    check_captures(f, m, "institutions", r.institutions);
    check_captures(f, m, "clusters", r.clusters);
    f.finish();
    draft_.config.mapping.rules.push_back(std::move(r));
    draft_.rules.push_back(origin(t, key));
  }

  void read_institution_rule(const toml::table& t, std::size_t index) {
    const std::string key = fmt::format("institution_rule[{}]", index);
    TableFields f(t, file_, key, draft_.issues);
    InstitutionRule r;
    f.read("id", r.id);
    f.require("id");
    const MatcherRead m = read_matcher(f);
    r.group = m.matcher;
    read_nonempty(f, "institution_id", r.institution_id);
    f.read("name", r.name);
    read_mis_url(f, r.mis_url);
    read_second_factor(f, r.skip_second_factor);
    if (!f.has("institution_id") && m.valid &&
        (m.matcher.kind != GroupMatcher::Kind::Pattern || m.captures == 0)) {
      f.table_error(
          "institution_id defaults to \"$1\": use a group_pattern with a capture group, or set "
          "institution_id");
    } else {
      check_captures(f, m, "institution_id", r.institution_id);
    }
    check_captures(f, m, "name", r.name);
    check_captures(f, m, "mis_url", r.mis_url);
    f.finish();
    draft_.config.mapping.institution_rules.push_back(std::move(r));
    draft_.institution_rules.push_back(origin(t, key));
  }
};

}  // namespace

void read_mapping_tables(TableFields& root, const std::string& file, ConfigDraft& draft) {
  MappingReader(file, draft).read(root);
}

}  // namespace trustgate
