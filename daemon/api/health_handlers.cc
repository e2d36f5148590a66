// GET /healthz (process alive), GET /readyz (a snapshot is served), GET /metrics.
// Unauthenticated: they reveal no user data.
#include "daemon/api/api_context.h"
#include "daemon/http/api_json.h"

namespace trustgate {

ApiResponse not_ready_response() {
  return error_response(503, "not_ready", "no access data loaded yet");
}

void add_health_routes(Router& router, ApiContext& ctx) {
  // Alive: 200 even when degraded (the last good revision keeps serving); the body says why.
  router.add({"GET", "/healthz"}, [&ctx](const ApiRequest&) {
    auto o = json_object();
    SyncStatus s = ctx.sync_status ? ctx.sync_status() : SyncStatus{};
    o->set("status", s.degraded ? "degraded" : "ok");
    if (s.degraded) o->set("reason", s.degraded_reason);
    if (ctx.sync_status) {
      auto sync = json_object();
      sync->set("in_progress", s.in_progress);
      sync->set("entries_read", s.entries_read);
      sync->set("last_outcome", s.last_outcome);
      sync->set("last_success_at", s.last_success_at);
      sync->set("passes", s.passes);
      sync->set("refused_passes", s.refused_passes);
      sync->set("failed_passes", s.failed_passes);
      sync->set("malformed_entries", s.malformed_entries);
      o->set("sync", sync);
    }
    if (SnapshotPtr snap = ctx.snapshots.get()) o->set("revision", snap->revision().number);
    return json_response(200, o);
  });
  router.add({"GET", "/readyz"}, [&ctx](const ApiRequest&) {
    SnapshotPtr snap = ctx.snapshots.get();
    if (!snap) return not_ready_response();
    auto o = json_object();
    o->set("status", "ready");
    o->set("revision", snap->revision().number);
    return json_response(200, o);
  });
  router.add({"GET", "/metrics"}, [&ctx](const ApiRequest&) {
    if (SnapshotPtr snap = ctx.snapshots.get()) ctx.metrics.set_revision(snap->revision().number);
    ApiResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = ctx.metrics.render();
    return r;
  });
}

}  // namespace trustgate
