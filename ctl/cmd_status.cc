// status: the current revision, when it was applied, counts, and the last successful sync.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <ctime>

#include "ctl/commands.h"
#include "ctl/time_text.h"
#include "daemon/config/http_listen.h"

namespace trustgate::ctl {
namespace {
std::string when(std::int64_t t) { return t == 0 ? "never" : utc_time(t) + " UTC"; }
// The running daemon's /healthz (sync progress, degraded or not), when it listens on plain
// HTTP; nullptr when it does not answer within a second.
Poco::JSON::Object::Ptr daemon_health(const Config& config) {
  const auto listen = resolve_http_listen(config.http);
  if (!listen || listen->tls) return nullptr;
  try {
    Poco::Net::HTTPClientSession session(listen->host, listen->port);
    session.setTimeout(Poco::Timespan(1, 0));
    Poco::Net::HTTPRequest request("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

// Exit 1 when there is no revision yet.
int cmd_status(Context& ctx) {
  auto config = ctx.load();
  if (!config) return config.error();
  auto store = ctx.open_store(*config);
  if (!store) return store.error();
  auto info = (*store)->current_info();
  auto last = (*store)->last_sync_success();
  auto manual = (*store)->manual_associations();
  if (!info || !last || !manual) return ctx.fail(kExitUnavailable, "cannot read the store");
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
    if (auto health = daemon_health(*config)) o.set("daemon", health);
    Poco::JSON::Stringifier::stringify(o, ctx.out);
    ctx.out << '\n';
    return *info ? kExitOk : kExitNo;
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
  if (auto health = daemon_health(*config)) {
    ctx.out << "daemon:              " << health->optValue<std::string>("status", "?");
    if (health->has("reason")) ctx.out << " (" << health->getValue<std::string>("reason") << ")";
    ctx.out << '\n';
    if (auto sync = health->getObject("sync")) {
      // As the daemon's STATUS line puts it (progress_text), from the figures /healthz gives.
      const bool running = sync->optValue<bool>("in_progress", false);
      ctx.out << "sync:                " << (running ? "running, " : "idle, last ")
              << sync->optValue<std::size_t>("entries_read", 0);
      if (!sync->isNull("expected_entries") && sync->has("expected_entries"))
        ctx.out << " of ~" << sync->getValue<std::size_t>("expected_entries");
      ctx.out << " entries read";
      if (running) {
        ctx.out << ", " << sync->optValue<std::size_t>("entries_per_second", 0) << "/s";
        if (sync->has("eta_seconds") && !sync->isNull("eta_seconds"))
          ctx.out << ", about " << sync->getValue<std::size_t>("eta_seconds") << " s left";
      }
      ctx.out << ", last outcome " << sync->optValue<std::string>("last_outcome", "none") << '\n';
    }
  } else {
    ctx.out << "daemon:              not reachable on " << config->http.listen << '\n';
  }
  return kExitOk;
}

}  // namespace trustgate::ctl
