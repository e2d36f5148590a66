// GET /healthz (process alive), GET /readyz (a snapshot is served), GET /metrics.
// Unauthenticated: they reveal no user data.
#include "daemon/api/api_context.h"
#include "daemon/api/api_json.h"

namespace trustgate {

ApiResponse not_ready_response() {
  return error_response(503, "not_ready", "no access data loaded yet");
}

void add_health_routes(Router& router, ApiContext& ctx) {
  router.add({"GET", "/healthz"}, [](const ApiRequest&) {
    auto o = json_object();
    o->set("status", "ok");
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
