#include "connectors/ldif/ldif_probe.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <system_error>

namespace trustgate {
namespace {

template <typename Body>
bool record_step(ConnectionReport& report, const Clock& clock, const char* name, Body&& body) {
  ConnectionStep step;
  step.name = name;
  step.ok = true;
  const auto start = clock.steady_now();
  body(step);
  step.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock.steady_now() - start);
  report.steps.push_back(std::move(step));
  return report.steps.back().ok;
}

}  // namespace

ConnectionReport probe_ldif_source(const LdifSourceOptions& options, const Clock& clock) {
  ConnectionReport report;
  report.source = options.name;
  report.type = "ldif";
  const std::string path = options.path.string();
  if (!record_step(report, clock, "file", [&](ConnectionStep& s) {
        std::error_code ec;
        const auto status = std::filesystem::status(options.path, ec);
        if (ec || !std::filesystem::exists(status)) {
          s.ok = false;
          s.detail = fmt::format("{} does not exist", path);
          return;
        }
        if (!std::filesystem::is_regular_file(status)) {
          s.ok = false;
          s.detail = fmt::format("{} is not a regular file", path);
          return;
        }
        std::ifstream in(options.path);
        if (!in) {
          s.ok = false;
          s.detail = fmt::format("{} cannot be read: {}", path, std::strerror(errno));
          return;
        }
        const auto size = std::filesystem::file_size(options.path, ec);
        s.facts.emplace_back("path", path);
        s.facts.emplace_back("bytes", static_cast<std::int64_t>(ec ? 0 : size));
        s.detail = fmt::format("{} is readable ({} bytes)", path, ec ? 0 : size);
      }))
    return report;

  std::optional<LdifDocument> document;
  if (!record_step(report, clock, "parse", [&](ConnectionStep& s) {
        auto parsed = read_ldif_file(options.path);
        if (!parsed) {
          s.ok = false;
          s.detail = parsed.error().message;
          return;
        }
        s.facts.emplace_back("records", static_cast<std::int64_t>(parsed->records.size()));
        s.facts.emplace_back("skipped", static_cast<std::int64_t>(parsed->errors.size()));
        s.detail = fmt::format("{} records", parsed->records.size());
        if (!parsed->errors.empty())
          s.detail += fmt::format(", {} skipped (first: {})", parsed->errors.size(),
                                  parsed->errors.front().message);
        document = std::move(*parsed);
      }))
    return report;

  record_step(report, clock, "entries", [&](ConnectionStep& s) {
    auto snapshot = snapshot_from_ldif(*document, options);
    if (!snapshot) {
      s.ok = false;
      s.detail = snapshot.error().message;
      return;
    }
    s.facts.emplace_back("users", static_cast<std::int64_t>(snapshot->users.size()));
    s.facts.emplace_back("groups", static_cast<std::int64_t>(snapshot->groups.size()));
    s.facts.emplace_back("malformed", static_cast<std::int64_t>(snapshot->malformed_entries));
    s.detail = fmt::format("{} users, {} groups, {} malformed entries", snapshot->users.size(),
                           snapshot->groups.size(), snapshot->malformed_entries);
  });
  return report;
}

}  // namespace trustgate
