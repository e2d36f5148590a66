// GET /healthz (process alive), GET /readyz (a snapshot is served), GET /metrics. The first two
// are written straight out (json_writer.h): load balancers ask for them all the time.
// Unauthenticated: they reveal no user data.
#include <cmath>

#include "daemon/api/api_context.h"
#include "daemon/http/api_json.h"
#include "daemon/http/json_writer.h"

namespace trustgate {

ApiResponse not_ready_response() {
  return error_response(503, "not_ready", "no access data loaded yet");
}

void add_health_routes(Router& router, ApiContext& ctx) {
  // Alive: 200 even when degraded (the last good revision keeps serving); the body says why.
  router.add({"GET", "/healthz"}, [&ctx](const ApiRequest&) {
    SyncStatus s = ctx.sync_status ? ctx.sync_status() : SyncStatus{};
    JsonWriter w;
    w.begin_object().key("status").value(s.degraded ? "degraded" : "ok");
    if (s.degraded) w.key("reason").value(s.degraded_reason);
    if (ctx.sync_status) {
      w.key("sync").begin_object();
      w.key("in_progress").value(s.in_progress);
      // The pass's progress, as the STATUS line and the journal give it (sync_progress.h).
      const SyncProgress& p = s.progress;
      w.key("entries_read").value(static_cast<std::int64_t>(p.entries_read));
      w.key("expected_entries");
      p.expected_entries ? w.value(static_cast<std::int64_t>(*p.expected_entries)) : w.null();
      w.key("entries_per_second")
          .value(static_cast<std::int64_t>(std::llround(p.entries_per_second())));
      w.key("eta_seconds");
      if (auto eta = p.eta_seconds(); eta && s.in_progress) {
        w.value(static_cast<std::int64_t>(std::ceil(*eta)));
      } else {
        w.null();
      }
      w.key("last_outcome").value(s.last_outcome);
      w.key("last_success_at").value(static_cast<std::int64_t>(s.last_success_at));
      w.key("passes").value(static_cast<std::int64_t>(s.passes));
      w.key("refused_passes").value(static_cast<std::int64_t>(s.refused_passes));
      w.key("failed_passes").value(static_cast<std::int64_t>(s.failed_passes));
      w.key("malformed_entries").value(static_cast<std::int64_t>(s.malformed_entries));
      w.end_object();
    }
    if (SnapshotPtr snap = ctx.snapshots.get()) {
      w.key("revision").value(static_cast<std::int64_t>(snap->revision().number));
    }
    return json_response(200, w.end_object().take());
  });
  router.add({"GET", "/readyz"}, [&ctx](const ApiRequest&) {
    SnapshotPtr snap = ctx.snapshots.get();
    if (!snap) return not_ready_response();
    JsonWriter w;
    w.begin_object().key("status").value("ready");
    w.key("revision").value(static_cast<std::int64_t>(snap->revision().number));
    return json_response(200, w.end_object().take());
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
