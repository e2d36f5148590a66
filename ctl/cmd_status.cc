// status: the current revision, when it was applied, counts, and the last successful sync.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <ctime>

#include "ctl/context.h"

namespace trustgate::ctl {
namespace {
std::string when(std::int64_t t) {
  if (t == 0) return "never";
  std::time_t tt = t;
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&tt));
  return buf;
}
}  // namespace

int cmd_status(Context& ctx) {
  auto config = ctx.load();
  if (!config) return kExitUsage;
  auto store = ctx.open_store(*config);
  if (!store) {
    ctx.err << "trustgatectl: " << store.error().message << '\n';
    return kExitFailure;
  }
  auto info = (*store)->current_info();
  auto last = (*store)->last_sync_success();
  auto manual = (*store)->manual_associations();
  if (!info || !last || !manual) {
    ctx.err << "trustgatectl: cannot read the store\n";
    return kExitFailure;
  }
  if (ctx.json) {
    Poco::JSON::Object o;
    o.set("database", config->database);
    if (*info) {
      o.set("revision", (*info)->number);
      o.set("applied_at", (*info)->applied_at);
      o.set("sources", (*info)->sources);
      o.set("users", (*info)->users);
      o.set("institutions", (*info)->institutions);
      o.set("clusters", (*info)->clusters);
      o.set("grants", (*info)->grants);
      o.set("summary", (*info)->summary);
      o.set("forced", (*info)->forced);
    } else {
      o.set("revision", Poco::Dynamic::Var());
    }
    o.set("last_sync_success", last->value_or(0));
    o.set("manual_associations", manual->size());
    Poco::JSON::Stringifier::stringify(o, ctx.out);
    ctx.out << '\n';
    return kExitOk;
  }
  ctx.out << "database:            " << config->database << '\n';
  if (!*info) {
    ctx.out
        << "revision:            none yet (run 'trustgatectl sync --once' or start trustgated)\n";
    return kExitNo;
  }
  const RevisionInfo& r = **info;
  ctx.out << "revision:            " << r.number << (r.forced ? " (applied with override)" : "")
          << '\n'
          << "applied at:          " << when(r.applied_at) << '\n'
          << "sources:             " << r.sources << '\n'
          << "users:               " << r.users << '\n'
          << "institutions:        " << r.institutions << '\n'
          << "clusters:            " << r.clusters << '\n'
          << "grants:              " << r.grants << '\n'
          << "changes:             " << r.summary << '\n'
          << "last sync success:   " << when(last->value_or(0)) << '\n'
          << "manual associations: " << manual->size() << '\n';
  return kExitOk;
}

}  // namespace trustgate::ctl
