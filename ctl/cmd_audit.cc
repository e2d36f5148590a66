// audit: the handoff and association audit trail, filtered.
// audit verify: walks the audit hash chain (audit_log.h) from its checkpoint to the last row.
//   Exit 0 and the row count when it verifies; 1 and the first broken link (row id, what
//   differs) when not; 3 when it cannot be checked (no database, a checkpoint but no key).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <ctime>
#include <filesystem>

#include "ctl/context.h"
#include "ctl/model_loader.h"
#include "ctl/table.h"
#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/db_access.h"
#include "daemon/handoff/handoff_db.h"

namespace trustgate::ctl {
namespace {
std::optional<std::int64_t> number(Context& ctx, const char* name, bool& bad) {
  auto v = ctx.option(name);
  if (!v) return std::nullopt;
  try {
    std::size_t used = 0;
    auto n = std::stoll(*v, &used);
    if (used == v->size()) return n;
  } catch (const std::exception&) {
  }
  ctx.err << "trustgatectl: --" << name << " needs a number (unix seconds or a count)\n";
  bad = true;
  return std::nullopt;
}
int verify(Context& ctx, const Config& config) {
  const std::string path = handoff_db_path(config.database);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    ctx.err << "trustgatectl: no handoff database at " << path << '\n';
    return kExitFailure;
  }
  auto key = read_audit_key(audit_key_path(config.database));
  if (!key) {
    ctx.err << "trustgatectl: " << key.error().message << '\n';
    return kExitFailure;
  }
  auto db = FileDb::open(path);
  if (!db) {
    ctx.err << "trustgatectl: " << db.error().message << '\n';
    return kExitFailure;
  }
  AuditOptions options;
  options.checkpoint_key = key->value_or("");
  auto log = AuditLog::open(**db, ctx.clock, options);
  if (!log) {
    ctx.err << "trustgatectl: " << log.error().message << '\n';
    return kExitFailure;
  }
  auto report = (*log)->verify();
  if (!report) {
    ctx.err << "trustgatectl: " << report.error().message << '\n';
    return kExitFailure;
  }
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

}  // namespace

int cmd_audit(Context& ctx) {
  auto config = ctx.load();
  if (!config) return kExitUsage;
  if (!ctx.args.empty()) {
    if (ctx.args[0] == "verify" && ctx.args.size() == 1) return verify(ctx, *config);
    ctx.err << "trustgatectl: audit takes no argument but verify\n";
    return kExitUsage;
  }
  AuditQuery q;
  bool bad = false;
  q.user = ctx.option("user");
  q.institution = ctx.option("institution");
  q.action = ctx.option("action");
  q.since = number(ctx, "since", bad);
  q.until = number(ctx, "until", bad);
  if (auto limit = number(ctx, "limit", bad)) q.limit = static_cast<std::size_t>(*limit);
  if (auto d = ctx.option("decision")) {
    if (*d != "allow" && *d != "deny") {
      ctx.err << "trustgatectl: --decision is allow or deny\n";
      return kExitUsage;
    }
    q.allowed = *d == "allow";
  }
  if (bad) return kExitUsage;
  auto db = FileDb::open(handoff_db_path(config->database));
  if (!db) {
    ctx.err << "trustgatectl: " << db.error().message << '\n';
    return kExitFailure;
  }
  auto log = AuditLog::open(**db, ctx.clock);
  if (!log) {
    ctx.err << "trustgatectl: " << log.error().message << '\n';
    return kExitFailure;
  }
  auto events = (*log)->query(q);
  if (!events) {
    ctx.err << "trustgatectl: " << events.error().message << '\n';
    return kExitFailure;
  }
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
