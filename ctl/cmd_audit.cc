// audit: the handoff and association audit trail, filtered.
// audit verify: walks the audit hash chain (audit_log.h) from its checkpoint to the last row.
//   Exit 0 and the row count when it verifies; 1 and the first broken link (row id, what
//   differs) when not; 3 when it cannot be checked (no database, a checkpoint but no key).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <ctime>
#include <filesystem>

#include "ctl/commands.h"
#include "ctl/model_loader.h"
#include "ctl/table.h"
#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/db_access.h"
#include "daemon/handoff/handoff_db.h"

namespace trustgate::ctl {
namespace {
// The audit log of the handoff database beside the store; the database stays open with it.
struct OpenedLog {
  std::unique_ptr<FileDb> db;
  std::unique_ptr<AuditLog> log;
};

OrExit<OpenedLog> open_log(const Context& ctx, const std::string& path, AuditOptions options) {
  auto db = FileDb::open(path);
  if (!db) return exit_with(ctx.fail(kExitUnavailable, db.error().message));
  auto log = AuditLog::open(**db, ctx.clock, options);
  if (!log) return exit_with(ctx.fail(kExitUnavailable, log.error().message));
  return OpenedLog{std::move(*db), std::move(*log)};
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
  auto opened = open_log(ctx, path, options);
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

int cmd_audit(Context& ctx, const AuditQuery& q) {
  auto config = ctx.load();
  if (!config) return config.error();
  auto opened = open_log(ctx, handoff_db_path(config->database), AuditOptions{});
  if (!opened) return opened.error();
  auto events = opened->log->query(q);
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
      o->set("institution", e.institution);
      o->set("decision", e.allowed ? "allow" : "deny");
      o->set("reason", e.reason);
      arr->add(o);
    }
    print_json(ctx, arr);
    return kExitOk;
  }
  Table t({"TIME (UTC)", "ACTION", "CLIENT", "USER", "INSTITUTION", "DECISION", "REASON",
           "DECISION ID"});
  for (const auto& e : *events) {
    std::time_t tt = e.at;
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::gmtime(&tt));
    t.add({buf, e.action, e.client, e.user, e.institution, e.allowed ? "allow" : "deny", e.reason,
           e.decision_id});
  }
  t.print(ctx.out);
  return kExitOk;
}

}  // namespace trustgate::ctl
