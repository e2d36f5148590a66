#pragma once
// A rule's group_pattern: a regular expression matched against a group's WHOLE DN,
// case-insensitively, with captures $0..$9 for the rule's targets.
//
// RE2 (linear time, bounded memory, no recursion on the subject) rather than std::regex:
// libstdc++'s std::regex recurses once per character matched, and one directory group with a
// DN of ~26,000 characters overflowed the stack on every sync pass. RE2 has no backreferences
// or lookaround; a pattern using them is a configuration error.
#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace re2 {
class RE2;
}

namespace trustgate {

class GroupPattern {
 public:
  using Captures = std::array<std::string, 10>;  // $0 (the whole DN) .. $9

  // Longer patterns are refused ("pattern.too_long"); so are patterns RE2 refuses or whose
  // compiled program exceeds its memory budget ("pattern.invalid"), e.g. 20,000 nested groups.
  static constexpr std::size_t kMaxPatternBytes = 1024;
  // A subject longer than this is never matched (no DN a directory legitimately holds comes
  // near it); callers count and report such groups.
  static constexpr std::size_t kMaxSubjectBytes = 8192;

  static Result<GroupPattern> compile(std::string_view pattern);

  GroupPattern(GroupPattern&&) noexcept;
  GroupPattern& operator=(GroupPattern&&) noexcept;
  ~GroupPattern();

  // True when the pattern matches all of `subject` (at most kMaxSubjectBytes long); fills
  // `captures` ($N beyond the pattern's groups, and groups that took no part, are empty).
  // Thread-safe: RE2 objects may be shared between threads.
  bool full_match(std::string_view subject, Captures& captures) const;
  // The number of capturing groups ($1..$N usable).
  int capture_count() const;
  const std::string& text() const { return text_; }

 private:
  GroupPattern(std::string text, std::unique_ptr<re2::RE2> re);
  std::string text_;
  std::unique_ptr<re2::RE2> re_;
};

}  // namespace trustgate
