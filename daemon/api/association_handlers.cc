// Manual associations (admin clients only), kept across syncs:
//   POST   /v1/users/{id}/associations  {"kind":"institution"|"cluster"|"all","target":id}
//          201 {"user","kind","target","created_by","created_at"}
//   DELETE /v1/users/{id}/associations?kind=...&target=...
//          200 {"removed":true}; 409 association_conflict when the association comes from a
//          cluster or a directory group (naming it); 404 not_associated otherwise.
// After a change the served snapshot is rebuilt (ApiContext::after_manual_change).
#include <fmt/format.h>

#include "daemon/api/api_context.h"
#include "daemon/api/requested_user.h"
#include "daemon/http/api_json.h"

namespace trustgate {
namespace {

struct Target {
  AssociationKind kind;
  std::string target;
};

// Validates kind and target against the model. Returns an error response on failure.
std::expected<Target, ApiResponse> parse_target_of(const std::string* kind,
                                                   const std::string* target) {
  if (kind == nullptr || kind->empty()) {
    return std::unexpected(error_response(400, "missing_field", "kind is required"));
  }
  auto k = association_kind_from_string(*kind);
  if (!k) {
    return std::unexpected(
        error_response(400, "invalid_field", "kind must be institution, cluster or all"));
  }
  const std::string t = target ? *target : "";
  if (*k == AssociationKind::All) {
    if (!t.empty()) {
      return std::unexpected(error_response(400, "invalid_field", "kind all takes no target"));
    }
  } else if (t.empty()) {
    return std::unexpected(error_response(400, "missing_field", "target is required"));
  }
  return Target{*k, t};
}

ApiResponse finish_change(ApiContext& ctx) {
  if (ctx.after_manual_change) {
    if (auto r = ctx.after_manual_change(); !r) {
      return error_response(500, "internal", "the change was saved but could not be served yet");
    }
  }
  return {};
}

void audit(ApiContext& ctx, const std::string& action, const ApiRequest& req,
           const std::string& user, const Target& t, bool allowed, const std::string& reason) {
  AuditEvent e;
  e.decision_id = ctx.handoffs.new_decision_id();
  e.action = action;
  e.client = req.client->id;
  e.user = user;
  e.institution =
      t.kind == AssociationKind::All ? "*" : fmt::format("{}:{}", to_string(t.kind), t.target);
  e.allowed = allowed;
  e.reason = reason;
  (void)ctx.audit.record(std::move(e));
}

ApiResponse associate(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.manual == nullptr)
    return error_response(503, "unavailable", "associations are read-only");
  SnapshotPtr snap = ctx.snapshots.get();
  if (!snap) return not_ready_response();
  const AccessModel& m = snap->model();
  auto found = requested_user(*snap, req.param("id"));
  if (!found) return found.error();
  const User* u = *found;
  auto kind = get_id(req.json, "kind");
  auto target = get_id(req.json, "target");
  if (!kind) return error_response(400, kind.error().code, kind.error().message);
  if (!target) return error_response(400, target.error().code, target.error().message);
  auto t = parse_target_of(*kind ? &**kind : nullptr, *target ? &**target : nullptr);
  if (!t) return t.error();
  if (t->kind == AssociationKind::Institution && m.find_institution(t->target) == nullptr) {
    return error_response(404, "unknown_institution", "no such institution");
  }
  if (t->kind == AssociationKind::Cluster && !m.clusters.contains(t->target)) {
    return error_response(404, "unknown_cluster", "no such cluster");
  }
  ManualAssociation a{u->id, t->kind, t->target, req.client->id, unix_seconds(ctx.clock.now())};
  if (auto r = ctx.manual->add(a); !r) {
    return error_response(500, "internal", "the association could not be saved");
  }
  audit(ctx, "associate", req, u->id, *t, true, "manual");
  if (auto failed = finish_change(ctx); failed.status != 200) return failed;
  auto o = json_object();
  o->set("user", u->id);
  o->set("kind", std::string(to_string(t->kind)));
  o->set("target", t->target);
  o->set("created_by", a.created_by);
  o->set("created_at", a.created_at);
  return json_response(201, o);
}

ApiResponse dissociate(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.manual == nullptr)
    return error_response(503, "unavailable", "associations are read-only");
  SnapshotPtr snap = ctx.snapshots.get();
  if (!snap) return not_ready_response();
  const AccessModel& m = snap->model();
  auto found = requested_user(*snap, req.param("id"));
  if (!found) return found.error();
  const User* u = *found;
  auto t = parse_target_of(req.query_value("kind"), req.query_value("target"));
  if (!t) return t.error();

  RemovalCheck check = check_removal(m, u->id, t->kind, t->target);
  if (!check.removable) {
    if (!check.blocking_kind.empty()) {
      audit(ctx, "dissociate", req, u->id, *t, false, "blocked_by_" + check.blocking_kind);
      auto extra = json_object();
      extra->set("blocking_kind", check.blocking_kind);
      extra->set("blocking_name", check.blocking_name);
      std::string message = check.message;
      if (message.empty()) {
        message = fmt::format("this association comes from {} {}; remove that instead",
                              check.blocking_kind, check.blocking_name);
      }
      return error_response(409, "association_conflict", message, extra);
    }
    return error_response(404, "not_associated", "no such manual association");
  }
  auto removed = ctx.manual->remove(u->id, t->kind, t->target);
  if (!removed) return error_response(500, "internal", "the association could not be removed");
  if (!*removed) return error_response(404, "not_associated", "no such manual association");
  audit(ctx, "dissociate", req, u->id, *t, true, "manual");
  if (auto failed = finish_change(ctx); failed.status != 200) return failed;
  auto o = json_object();
  o->set("removed", true);
  return json_response(200, o);
}

}  // namespace

void add_association_routes(Router& router, ApiContext& ctx) {
  router.add({"POST", "/v1/users/{id}/associations", {ClientKind::Admin}, true},
             [&ctx](const ApiRequest& req) { return associate(ctx, req); });
  router.add({"DELETE", "/v1/users/{id}/associations", {ClientKind::Admin}},
             [&ctx](const ApiRequest& req) { return dissociate(ctx, req); });
}

}  // namespace trustgate
