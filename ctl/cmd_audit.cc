// audit: the handoff and association audit trail, filtered.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <ctime>

#include "ctl/context.h"
#include "ctl/model_loader.h"
#include "ctl/table.h"
#include "daemon/api/audit_log.h"
#include "daemon/api/db_access.h"
#include "daemon/handoff_db.h"

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
}  // namespace

int cmd_audit(Context& ctx) {
  auto config = ctx.load();
  if (!config) return kExitUsage;
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
