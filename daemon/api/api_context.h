#pragma once
// Everything the HTTP handlers depend on. The daemon's main owns these objects; they must
// outlive the ApiServer.
#include <functional>

#include "daemon/sync/sync_status.h"

#include "common/clock.h"
#include "common/error.h"
#include "daemon/api/metrics.h"
#include "daemon/api/router.h"
#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/client_auth.h"
#include "daemon/handoff/handoff_service.h"
#include "daemon/serving/snapshot.h"
#include "daemon/store/manual_association_store.h"

namespace trustgate {

struct ApiContext {
  SnapshotHolder& snapshots;
  const ClientRegistry& clients;
  HandoffService& handoffs;
  AuditLog& audit;
  Metrics& metrics;
  const Clock& clock;
  // Manual associations (POST/DELETE /v1/users/{id}/associations); null -> those answer 503.
  ManualAssociationStore* manual = nullptr;
  // Called after a manual association changed: must rebuild and swap the served snapshot
  // (production: [&]{ return holder.reload(store); }). An error is reported as 500.
  std::function<Result<void>()> after_manual_change;
  // The sync loop's state for /healthz (degraded and why, progress); unset: not reported.
  std::function<SyncStatus()> sync_status;
  // Failed authentications are throttled with these (Router::throttle_authentication).
  AuthThrottleOptions auth_throttle{};
};

// Registers every endpoint (one function per endpoint group, each in its *_handlers.cc).
void add_health_routes(Router& router, ApiContext& ctx);
void add_handoff_routes(Router& router, ApiContext& ctx);
void add_user_routes(Router& router, ApiContext& ctx);
void add_institution_routes(Router& router, ApiContext& ctx);
void add_association_routes(Router& router, ApiContext& ctx);
inline void add_all_routes(Router& router, ApiContext& ctx) {
  router.throttle_authentication(ctx.clock, &ctx.metrics, ctx.auth_throttle);
  add_health_routes(router, ctx);
  add_handoff_routes(router, ctx);
  add_user_routes(router, ctx);
  add_institution_routes(router, ctx);
  add_association_routes(router, ctx);
}

// 503 {"error":{"code":"not_ready"}} when no snapshot is loaded yet.
ApiResponse not_ready_response();

}  // namespace trustgate
