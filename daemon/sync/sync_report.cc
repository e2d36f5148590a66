#include "daemon/sync/sync_report.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace trustgate {

namespace {
const char* change_name(UserDiff::Change c) {
  switch (c) {
    case UserDiff::Change::Added:
      return "added";
    case UserDiff::Change::Removed:
      return "removed";
    case UserDiff::Change::Changed:
      return "changed";
  }
  return "changed";
}
}  // namespace

void print_sync_outcome(std::ostream& out, const SyncOutcome& o) {
  for (const auto& u : o.diff.users) {
    out << u.username << " (" << u.user_id << ") " << change_name(u.change) << '\n';
    for (const auto& line : u.granted) out << "  " << line << '\n';
    for (const auto& line : u.revoked) out << "  " << line << '\n';
  }
  if (!o.diff.users.empty()) out << '\n';
  out << "entries read: " << o.entries_read;
  if (o.malformed_entries) out << " (" << o.malformed_entries << " malformed, skipped)";
  if (o.ignored_values) out << " (" << o.ignored_values << " unreadable values ignored)";
  out << "\nchanges: " << o.diff.summary() << '\n';
  for (const auto& w : o.warnings)
    out << "warning: " << (w.rule.empty() ? "" : "rule '" + w.rule + "': ") << w.message << '\n';
  for (const auto& cycle : o.cycles) {
    out << "warning: nested group cycle:";
    for (const auto& g : cycle) out << ' ' << g << " ->";
    out << " " << (cycle.empty() ? "" : cycle.front()) << '\n';
  }
  for (const auto& [source, why] : o.source_errors)
    out << "source '" << source << "' failed (its users were kept as they are): " << why << '\n';
  for (const auto& why : o.refusals) out << "safety: " << why << '\n';
  switch (o.kind) {
    case SyncOutcome::Kind::Applied:
      out << "applied as revision " << o.revision->number << '\n';
      break;
    case SyncOutcome::Kind::Unchanged:
      out << "no change: the current revision already matches the directory\n";
      break;
    case SyncOutcome::Kind::Planned:
      out << (o.refusals.empty() ? "plan only: nothing applied\n"
                                 : "plan only: a sync would be REFUSED; apply it with "
                                   "'trustgatectl sync --once --allow-mass-removal'\n");
      break;
    case SyncOutcome::Kind::Refused:
      out << "REFUSED: nothing applied, the current revision keeps serving. Review with "
             "'trustgatectl plan'; apply with 'trustgatectl sync --once --allow-mass-removal'\n";
      break;
  }
}

std::string sync_outcome_json(const SyncOutcome& o) {
  Poco::JSON::Object root;
  root.set("outcome", std::string(to_string(o.kind)));
  if (o.revision) root.set("revision", o.revision->number);
  root.set("entries_read", o.entries_read);
  root.set("malformed_entries", o.malformed_entries);
  root.set("ignored_values", o.ignored_values);
  root.set("summary", o.diff.summary());
  root.set("grants_added", o.diff.grants_added);
  root.set("grants_removed", o.diff.grants_removed);
  Poco::JSON::Array users;
  for (const auto& u : o.diff.users) {
    Poco::JSON::Object entry;
    entry.set("id", u.user_id);
    entry.set("username", u.username);
    entry.set("change", change_name(u.change));
    Poco::JSON::Array granted, revoked;
    for (const auto& l : u.granted) granted.add(l);
    for (const auto& l : u.revoked) revoked.add(l);
    entry.set("granted", granted);
    entry.set("revoked", revoked);
    users.add(entry);
  }
  root.set("users", users);
  Poco::JSON::Array refusals, warnings;
  for (const auto& r : o.refusals) refusals.add(r);
  for (const auto& w : o.warnings) warnings.add((w.rule.empty() ? "" : w.rule + ": ") + w.message);
  root.set("refusals", refusals);
  root.set("warnings", warnings);
  Poco::JSON::Object errors;
  for (const auto& [s, why] : o.source_errors) errors.set(s, why);
  root.set("source_errors", errors);
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(root, out);
  return out.str();
}

}  // namespace trustgate
