#include "mapping/group_pattern.h"

#include <re2/re2.h>

#include <fmt/format.h>

namespace trustgate {
namespace {

// Enough for any pattern of kMaxPatternBytes that a rule plausibly holds; a pathological one
// (huge counted repetitions, deep nesting) fails to compile instead of taking memory.
constexpr std::int64_t kMaxProgramBytes = 1 << 20;

}  // namespace

Result<GroupPattern> GroupPattern::compile(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes) {
    return fail("pattern.too_long",
                fmt::format("pattern is {} bytes; at most {}", pattern.size(), kMaxPatternBytes));
  }
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  options.set_max_mem(kMaxProgramBytes);
  auto re = std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) return fail("pattern.invalid", re->error());
  if (re->NumberOfCapturingGroups() > 9) {
    return fail("pattern.invalid", fmt::format("{} capturing groups; at most 9 ($1..$9)",
                                               re->NumberOfCapturingGroups()));
  }
  return GroupPattern(std::string(pattern), std::move(re));
}

GroupPattern::GroupPattern(std::string text, std::unique_ptr<re2::RE2> re)
    : text_(std::move(text)), re_(std::move(re)) {}
GroupPattern::GroupPattern(GroupPattern&&) noexcept = default;
GroupPattern& GroupPattern::operator=(GroupPattern&&) noexcept = default;
GroupPattern::~GroupPattern() = default;

int GroupPattern::capture_count() const { return re_->NumberOfCapturingGroups(); }

bool GroupPattern::full_match(std::string_view subject, Captures& captures) const {
  if (subject.size() > kMaxSubjectBytes) return false;
  const int groups = re_->NumberOfCapturingGroups();
  std::array<re2::StringPiece, 10> parts;
  const re2::StringPiece text(subject.data(), subject.size());
  if (!re_->Match(text, 0, text.size(), RE2::ANCHOR_BOTH, parts.data(), groups + 1)) return false;
  for (std::size_t i = 0; i < captures.size(); ++i) {
    const auto& p = parts[i];
    captures[i] = p.data() == nullptr ? std::string() : std::string(p.data(), p.size());
  }
  return true;
}

}  // namespace trustgate
