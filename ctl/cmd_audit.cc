// audit: the handoff and association audit trail, filtered: by user (username or id, also
//   the events of a user no longer in the directory, by the id or name they were asked by), by
//   school (handoffs to it and association changes with it), by API client or operator. Users
//   are shown by username when the current revision knows them.
// audit verify: walks the audit hash chain (audit_log.h) from its checkpoint to the last row.
//   Exit 0 and the row count when it verifies; 1 and the first broken link (row id, what
//   differs) when not; 3 when it cannot be checked (no database, a checkpoint but no key).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <filesystem>

#include "ctl/change_audit.h"
#include "ctl/commands.h"
#include "ctl/model_loader.h"
#include "ctl/table.h"
#include "ctl/time_text.h"
#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/handoff_db.h"

namespace trustgate::ctl {
namespace {

// The current revision's model for names, or an empty one (no revision yet, no store).
std::shared_ptr<const AccessModel> current_model(const Context& ctx, const Config& config) {
  std::error_code ec;
  if (!std::filesystem::exists(config.database, ec)) return std::make_shared<const AccessModel>();
  auto store = Store::open(config.database, ctx.clock);
  if (!store) return std::make_shared<const AccessModel>();
  auto model = (*store)->current_model();
  if (!model || !*model) return std::make_shared<const AccessModel>();
  return *model;
}

// The audit filter for the arguments, or the exit code after saying why not.
OrExit<AuditQuery> query_of(const Context& ctx, const AuditArgs& args, const AccessModel& model) {
  AuditQuery q = args.query;
  if (args.user) {
    const UserKey key = parse_user_key(*args.user);
    const UserLookup found = model.lookup(key);
    if (found.status == UserLookup::Status::Ambiguous) {
      named_user(ctx, found, *args.user);  // says so
      return exit_with(kExitNo);
    }
    // Rows name a user by stable id, or by what the caller asked for when nobody had it.
    q.users = {key.value, *args.user};
    if (found.user != nullptr) q.users.push_back(found.user->id);
  }
  if (args.institution) q.institutions = {*args.institution, "institution:" + *args.institution};
  if (args.by) q.clients = {*args.by, "trustgatectl:" + *args.by};
  return q;
}

std::string username_of(const AccessModel& model, const std::string& user) {
  const User* u = model.find_user_by_id(user);
  return u != nullptr ? u->username : "";
}

}  // namespace

int cmd_audit_verify(Context& ctx) {
  auto config = ctx.load();
  if (!config) return config.error();
  const std::string path = handoff_db_path(config->database);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return ctx.fail(kExitUnavailable, "no handoff database at " + path);
  }
  auto key = read_audit_key(audit_key_path(config->database));
  if (!key) return ctx.fail(kExitUnavailable, key.error().message);
  AuditOptions options;
  options.checkpoint_key = key->value_or("");
  auto opened = open_audit_log(ctx, *config, options);
  if (!opened) return opened.error();
  auto report = opened->log->verify();
  if (!report) return ctx.fail(kExitUnavailable, report.error().message);
  if (ctx.json) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("ok", report->ok());
    o->set("rows", report->rows);
    if (report->checkpoint) o->set("checkpoint_row", *report->checkpoint);
    if (report->broken) {
      o->set("broken_row", report->broken->row_id);
      o->set("problem", report->broken->what);
    }
    print_json(ctx, o);
  } else if (report->ok()) {
    ctx.out << "audit chain OK: " << report->rows << " rows";
    if (report->checkpoint) ctx.out << " after the checkpoint at row " << *report->checkpoint;
    ctx.out << '\n';
  } else {
    ctx.out << "audit chain BROKEN at row " << report->broken->row_id << ": "
            << report->broken->what << '\n';
  }
  return report->ok() ? kExitOk : kExitNo;
}

int cmd_audit(Context& ctx, const AuditArgs& args) {
  auto config = ctx.load();
  if (!config) return config.error();
  const auto model = current_model(ctx, *config);
  auto query = query_of(ctx, args, *model);
  if (!query) return query.error();
  auto opened = open_audit_log(ctx, *config);
  if (!opened) return opened.error();
  auto events = opened->log->query(*query);
  if (!events) return ctx.fail(kExitUnavailable, events.error().message);
  if (ctx.json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& e : *events) {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
      o->set("at", e.at);
      o->set("decision_id", e.decision_id);
      o->set("action", e.action);
      o->set("client", e.client);
      o->set("user", e.user);
      if (const std::string name = username_of(*model, e.user); !name.empty()) {
        o->set("username", name);
      }
      o->set("institution", e.institution);
      o->set("decision", e.allowed ? "allow" : "deny");
      o->set("reason", e.reason);
      arr->add(o);
    }
    print_json(ctx, arr);
    return kExitOk;
  }
  Table t(
      {"TIME (UTC)", "ACTION", "BY", "USER", "INSTITUTION", "DECISION", "REASON", "DECISION ID"});
  for (const auto& e : *events) {
    const std::string name = username_of(*model, e.user);
    t.add({utc_time(e.at), e.action, e.client, name.empty() ? e.user : name, e.institution,
           e.allowed ? "allow" : "deny", e.reason, e.decision_id});
  }
  t.print(ctx.out);
  return kExitOk;
}

}  // namespace trustgate::ctl
