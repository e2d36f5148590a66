// history: the revisions and the manual association changes (from the audit trail), newest
//   first: when, what, who (the daemon's sync or an operator), and what changed in counts.
// show REVISION: one revision with its changes user by user, when it kept them (the store
//   keeps them for revisions that change at most kHistoryUserLines users). Exit 1 when there
//   is no such revision.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <fmt/format.h>

#include <algorithm>

#include "ctl/change_audit.h"
#include "ctl/commands.h"
#include "ctl/model_loader.h"
#include "ctl/table.h"
#include "ctl/time_text.h"
#include "daemon/sync/sync_engine.h"

namespace trustgate::ctl {
namespace {

// One line of the history: a revision, or a manual change (an allowed audit row).
struct Entry {
  std::int64_t at = 0;
  std::optional<RevisionInfo> revision;
  std::optional<AuditEvent> manual;
};

std::string who(const RevisionInfo& r) {
  return r.applied_by + (r.sources.empty() ? "" : " (" + r.sources + ")");
}

std::string username_or_id(const AccessModel& model, const std::string& id) {
  const User* u = model.find_user_by_id(id);
  return u != nullptr ? u->username : id_key(id);
}

// "+ institution 100015", "- cluster north", "+ all institutions".
std::string manual_text(const AccessModel& model, const AuditEvent& e) {
  const std::string what = e.institution == "*" ? "all institutions" : e.institution;
  std::string spaced = what;
  std::replace(spaced.begin(), spaced.end(), ':', ' ');
  return fmt::format("{} {} {}", username_or_id(model, e.user), e.action == "associate" ? '+' : '-',
                     spaced);
}

Poco::JSON::Object::Ptr counts_json(const RevisionCounts& c) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("users_added", c.users_added);
  o->set("users_removed", c.users_removed);
  o->set("users_changed", c.users_changed);
  o->set("grants_added", c.grants_added);
  o->set("grants_removed", c.grants_removed);
  return o;
}

Poco::JSON::Object::Ptr revision_json(const RevisionInfo& r) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("kind", "revision");
  o->set("revision", r.number);
  o->set("at", r.applied_at);
  o->set("applied_by", r.applied_by);
  o->set("sources", r.sources);
  o->set("forced", r.forced);
  o->set("summary", r.summary);
  if (r.counts) o->set("changes", counts_json(*r.counts));
  o->set("user_changes_kept", r.user_changes_kept);
  o->set("users", r.users);
  o->set("institutions", r.institutions);
  o->set("clusters", r.clusters);
  o->set("grants", r.grants);
  return o;
}

Poco::JSON::Object::Ptr manual_json(const AccessModel& model, const AuditEvent& e) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("kind", "manual");
  o->set("at", e.at);
  o->set("action", e.action);
  o->set("by", e.client);
  o->set("user", e.user);
  if (const User* u = model.find_user_by_id(e.user)) o->set("username", u->username);
  o->set("target", e.institution);
  o->set("decision_id", e.decision_id);
  return o;
}

// The allowed manual changes, newest first, at most `limit`.
OrExit<std::vector<AuditEvent>> manual_changes(const Context& ctx, const Config& config,
                                               std::size_t limit) {
  auto opened = open_audit_log(ctx, config);
  if (!opened) return exit_with(opened.error());
  auto events =
      opened->log->query({.actions = {"associate", "dissociate"}, .allowed = true, .limit = limit});
  if (!events) return exit_with(ctx.fail(kExitUnavailable, events.error().message));
  return std::move(*events);
}

}  // namespace

int cmd_history(Context& ctx, const HistoryArgs& args) {
  auto config = ctx.load();
  if (!config) return config.error();
  auto store = ctx.open_store(*config);
  if (!store) return store.error();
  auto revisions = (*store)->revisions(args.limit);
  if (!revisions) return ctx.fail(kExitUnavailable, revisions.error().message);
  auto model = (*store)->current_model();
  if (!model) return ctx.fail(kExitUnavailable, model.error().message);
  const AccessModel empty;
  const AccessModel& names = *model ? **model : empty;
  auto manual = manual_changes(ctx, *config, args.limit);
  if (!manual) return manual.error();

  std::vector<Entry> entries;
  for (auto& r : *revisions) entries.push_back(Entry{r.applied_at, std::move(r), std::nullopt});
  for (auto& e : *manual) entries.push_back(Entry{e.at, std::nullopt, std::move(e)});
  // Newest first; at the same second a revision after the manual changes it may carry.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.at != b.at) return a.at > b.at;
    return a.revision.has_value() && !b.revision.has_value();
  });
  if (entries.size() > args.limit) entries.resize(args.limit);

  if (ctx.json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const Entry& e : entries) {
      arr->add(e.revision ? revision_json(*e.revision) : manual_json(names, *e.manual));
    }
    print_json(ctx, arr);
    return kExitOk;
  }
  Table t({"TIME (UTC)", "WHAT", "BY", "CHANGES"});
  for (const Entry& e : entries) {
    if (e.revision) {
      const RevisionInfo& r = *e.revision;
      t.add({utc_time(r.applied_at), fmt::format("revision {}", r.number), who(r),
             (r.forced ? "FORCED: " : "") + r.summary});
    } else {
      t.add({utc_time(e.at), e.manual->action, e.manual->client, manual_text(names, *e.manual)});
    }
  }
  t.print(ctx.out);
  return kExitOk;
}

int cmd_show(Context& ctx, const ShowArgs& args) {
  auto config = ctx.load();
  if (!config) return config.error();
  auto store = ctx.open_store(*config);
  if (!store) return store.error();
  auto info = (*store)->revision(args.revision);
  if (!info) return ctx.fail(kExitUnavailable, info.error().message);
  if (!*info) return ctx.fail(kExitNo, fmt::format("no revision {}", args.revision));
  const RevisionInfo& r = **info;
  auto users = (*store)->revision_changes(r.number);
  if (!users) return ctx.fail(kExitUnavailable, users.error().message);

  if (ctx.json) {
    Poco::JSON::Object::Ptr o = revision_json(r);
    if (r.user_changes_kept) {
      Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
      for (const UserDiff& u : *users) {
        Poco::JSON::Object::Ptr one = new Poco::JSON::Object;
        one->set("user", u.user_id);
        one->set("username", u.username);
        one->set("change", std::string(to_string(u.change)));
        one->set("grants_added", u.grants_added);
        one->set("grants_removed", u.grants_removed);
        Poco::JSON::Array::Ptr lines = new Poco::JSON::Array;
        for (const auto* part : {&u.granted, &u.revoked, &u.updated}) {
          for (const std::string& line : *part) lines->add(line);
        }
        one->set("lines", lines);
        list->add(one);
      }
      o->set("user_changes", list);
    }
    print_json(ctx, o);
    return kExitOk;
  }
  ctx.out << fmt::format("revision {}, applied {} UTC by {}{}\n", r.number, utc_time(r.applied_at),
                         who(r), r.forced ? ", FORCED past the safety checks" : "");
  ctx.out << fmt::format("  now: {} users, {} institutions, {} clusters, {} grants\n", r.users,
                         r.institutions, r.clusters, r.grants);
  ctx.out << "  changes: " << r.summary << '\n';
  if (!r.user_changes_kept) {
    ctx.out << fmt::format(
        "  the users' changes were not kept: more than {} users changed, or the revision is "
        "older than the history\n",
        kHistoryUserLines);
    return kExitOk;
  }
  for (const UserDiff& u : *users) {
    ctx.out << fmt::format("{} ({}): {}\n", u.username, id_key(u.user_id), to_string(u.change));
    for (const auto* part : {&u.granted, &u.revoked, &u.updated}) {
      for (const std::string& line : *part) ctx.out << "  " << line << '\n';
    }
  }
  return kExitOk;
}

}  // namespace trustgate::ctl
