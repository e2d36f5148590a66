#pragma once
// trustgatectl's exit codes: one table that every verb follows, documented in trustgatectl(8)
// (EXIT STATUS) and in `trustgatectl --help`. The same code with and without --json.
#include <expected>

namespace trustgate::ctl {

// Done; the user is allowed; what was asked for was found.
inline constexpr int kExitOk = 0;
// The answer is no: access denied, a user, institution or revision not found, an association
// that cannot be removed, an audit chain that does not verify.
inline constexpr int kExitNo = 1;
// Usage or configuration error: an unknown verb or option, a stray or missing argument, a bad
// value, a configuration with errors (whichever verb reads it).
inline constexpr int kExitUsage = 2;
// Unavailable: the store or the handoff database cannot be opened or read, a directory source
// cannot be read, or another runtime failure.
inline constexpr int kExitUnavailable = 3;
// A sync refused by the safety checks (safety.max_grant_removals and the like): `sync --once`
// that applied nothing, or `plan` showing a sync that would be refused.
inline constexpr int kExitRefused = 4;

// A value, or the exit code to end with: the reason has already been told to the operator.
template <typename T>
using OrExit = std::expected<T, int>;

inline std::unexpected<int> exit_with(int code) { return std::unexpected<int>(code); }

}  // namespace trustgate::ctl
