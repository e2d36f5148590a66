#include "mapping/rule_matcher.h"

#include <algorithm>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "mapping/access_model.h"
#include "mapping/dn.h"

namespace trustgate {

CompiledMatcher compile_matcher(const GroupMatcher& m, const std::string& rule_id,
                                WarningLog& warnings) {
  CompiledMatcher c;
  c.kind = m.kind;
  switch (m.kind) {
    case GroupMatcher::Kind::Dn:
      c.key = normalize_dn(m.value);
      break;
    case GroupMatcher::Kind::StableId:
      c.key = to_lower(m.value);
      break;
    case GroupMatcher::Kind::Pattern:
      c.key = m.value;
      if (auto compiled = GroupPattern::compile(m.value); compiled) {
        c.pattern = std::make_shared<const GroupPattern>(std::move(*compiled));
      } else {
        c.valid = false;
        warnings.add({rule_id, fmt::format("invalid pattern '{}': {}; rule skipped",
                                           m.value.substr(0, 80), compiled.error().message)});
      }
      break;
  }
  if (m.value.empty()) {
    c.valid = false;
    warnings.add({rule_id, "empty group matcher; rule skipped"});
  }
  return c;
}

bool matches(const CompiledMatcher& m, const DirectoryGroup& group, const std::string& norm_dn,
             Captures& captures, MappingMemo* cache) {
  if (!m.valid) return false;
  switch (m.kind) {
    case GroupMatcher::Kind::Dn:
      return norm_dn == m.key;
    case GroupMatcher::Kind::StableId:
      return !group.id.empty() && iequals(group.id, m.key);
    case GroupMatcher::Kind::Pattern: {
      std::string key;
      if (cache != nullptr) {
        key.reserve(m.key.size() + 1 + group.dn.size());
        key.append(m.key).push_back('\0');
        key.append(group.dn);
        if (auto it = cache->pattern_matches.find(key); it != cache->pattern_matches.end()) {
          if (!it->second) return false;
          std::copy(it->second->begin(), it->second->end(), captures.begin());
          return true;
        }
      }
      const bool matched = m.pattern->full_match(group.dn, captures);
      if (cache != nullptr) {
        if (cache->pattern_matches.size() >= MappingMemo::kMaxPatternMatches) {
          cache->pattern_matches.clear();
        }
        std::optional<std::vector<std::string>> value;
        if (matched) value.emplace(captures.begin(), captures.end());
        cache->pattern_matches.emplace(std::move(key), std::move(value));
      }
      return matched;
    }
  }
  return false;
}

std::string expand(std::string_view tmpl, const Captures& captures, const DirectoryGroup* group) {
  std::string out;
  out.reserve(tmpl.size());
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c == '$' && i + 1 < tmpl.size() && tmpl[i + 1] >= '0' && tmpl[i + 1] <= '9') {
      out += captures[static_cast<std::size_t>(tmpl[++i] - '0')];
      continue;
    }
    if (group != nullptr && c == '{') {
      if (tmpl.substr(i).starts_with("{name}")) {
        out += group->name.empty() ? first_rdn_value(group->dn) : group->name;
        i += 5;
        continue;
      }
      if (tmpl.substr(i).starts_with("{description}")) {
        out += group->description;
        i += 12;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

std::string_view matcher_kind(const GroupMatcher& m) {
  switch (m.kind) {
    case GroupMatcher::Kind::Dn:
      return "dn";
    case GroupMatcher::Kind::StableId:
      return "id";
    case GroupMatcher::Kind::Pattern:
      return "pattern";
  }
  return "dn";
}

void report_oversized_dns(const std::vector<PreparedSnapshot>& prepared, WarningLog& warnings) {
  for (const auto& p : prepared) {
    std::size_t oversized = 0;
    for (const auto& g : p.snapshot->groups)
      oversized += g.dn.size() > GroupPattern::kMaxSubjectBytes;
    if (oversized == 0) continue;
    warnings.warn("", fmt::format("source '{}': {} group(s) with a DN longer than {} bytes; no "
                                  "group_pattern rule matches them",
                                  p.snapshot->source, oversized, GroupPattern::kMaxSubjectBytes));
  }
}

}  // namespace trustgate
