#pragma once
// A rule's group matcher, prepared once per pass, matched against groups, and the expansion of
// its target templates with what it captured.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/directory_snapshot.h"
#include "mapping/group_pattern.h"
#include "mapping/mapping_config.h"
#include "mapping/mapping_memo.h"
#include "mapping/prepared_snapshot.h"
#include "mapping/warning_log.h"

namespace trustgate {

using Captures = GroupPattern::Captures;

// A GroupMatcher prepared once: DNs normalised, ids lower-cased, patterns compiled.
struct CompiledMatcher {
  GroupMatcher::Kind kind = GroupMatcher::Kind::Dn;
  std::string key;  // normalised DN or lower-cased stable id; Pattern: the pattern's text
  std::shared_ptr<const GroupPattern> pattern;
  bool valid = true;  // false: matches nothing (an empty value or a pattern that did not compile)
};

// An invalid matcher is returned with valid == false and a warning for `rule_id` added to
// `warnings` (once per call, not deduplicated).
CompiledMatcher compile_matcher(const GroupMatcher& m, const std::string& rule_id,
                                WarningLog& warnings);

// True when `group` (whose normalised DN is `norm_dn`) matches; fills `captures` for patterns.
// Pattern results are looked up in, or added to, the memo's pattern_matches when `cache` is
// given: a regex match costs microseconds, and at thousands of groups per pass that adds up.
bool matches(const CompiledMatcher& m, const DirectoryGroup& group, const std::string& norm_dn,
             Captures& captures, MappingMemo* cache = nullptr);

// Expands $0..$9 and, when `group` is given, {name} (the group's name, else its DN's first RDN
// value) and {description}. Anything else is copied as written.
std::string expand(std::string_view tmpl, const Captures& captures,
                   const DirectoryGroup* group = nullptr);

// "dn", "id" or "pattern": the matcher's kind as the config spells it, for warnings.
std::string_view matcher_kind(const GroupMatcher& m);

// A DN too long for any group_pattern (a hostile or broken entry) is never matched by one:
// warns once per source, with the count, rather than once per group.
void report_oversized_dns(const std::vector<PreparedSnapshot>& prepared, WarningLog& warnings);

}  // namespace trustgate
