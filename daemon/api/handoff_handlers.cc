// POST /v1/handoffs (site clients): issue a ticket.
//   {"user": "id:<stable id>" or a username, "institution": id, "mfa": bool (default false),
//    "auth_time": unix seconds of the MAT/LA login (required)}
//   201 {"ticket","expires_at","ttl_seconds","redirect_url","decision_id"}
//   403 {"error":{"code":"access_denied","reason":<decision.h reason>,"decision_id"}}
// POST /v1/handoffs/redeem (school clients; another kind is a failed redeem): {"ticket": ...}
//   200 {"active":true, ...} or 200 {"active":false,"decision_id"} (the reason is only audited)
#include "daemon/api/api_context.h"
#include "daemon/api/model_json.h"
#include "daemon/http/api_json.h"

namespace trustgate {
namespace {

constexpr std::int64_t kMaxClockSkewSeconds = 300;

ApiResponse issue(ApiContext& ctx, const ApiRequest& req) {
  auto user = get_id(req.json, "user");
  auto institution = get_id(req.json, "institution");
  auto mfa = get_bool(req.json, "mfa");
  auto auth_time = get_int(req.json, "auth_time");
  for (const Error* e :
       {user ? nullptr : &user.error(), institution ? nullptr : &institution.error(),
        mfa ? nullptr : &mfa.error(), auth_time ? nullptr : &auth_time.error()}) {
    if (e) return error_response(400, e->code, e->message);
  }
  if (!*user || !*institution || !*auth_time) {
    return error_response(400, "missing_field", "user, institution and auth_time are required");
  }
  const std::int64_t now = unix_seconds(ctx.clock.now());
  if (**auth_time <= 0 || **auth_time > now + kMaxClockSkewSeconds) {
    return error_response(400, "invalid_field", "auth_time must be a past unix time in seconds");
  }
  if (!ctx.snapshots.get()) return not_ready_response();

  IssueRequest ir{**user, **institution, mfa->value_or(false), **auth_time};
  auto result = ctx.handoffs.issue(*req.client, ir);
  if (!result) return error_response(500, "internal", "the ticket could not be stored");
  ctx.metrics.record_handoff("issue", result->issued);
  if (!result->audited) ctx.metrics.record_audit_suppressed("issue");
  if (!result->issued) {
    auto extra = json_object();
    extra->set("reason", result->reason);
    extra->set("decision_id", result->decision_id);
    return error_response(403, "access_denied", "the user may not log in to this institution",
                          extra);
  }
  auto o = json_object();
  o->set("ticket", result->ticket);
  o->set("expires_at", result->expires_at);
  o->set("ttl_seconds", result->ttl_seconds);
  o->set("redirect_url", result->redirect_url);
  o->set("decision_id", result->decision_id);
  return json_response(201, o);
}

ApiResponse redeem(ApiContext& ctx, const ApiRequest& req) {
  auto ticket = get_string(req.json, "ticket", 512);
  if (!ticket) return error_response(400, ticket.error().code, ticket.error().message);
  if (!*ticket) return error_response(400, "missing_field", "ticket is required");

  RedeemResult r = ctx.handoffs.redeem(*req.client, **ticket);
  ctx.metrics.record_handoff("redeem", r.active);
  if (!r.audited) ctx.metrics.record_audit_suppressed("redeem");
  auto o = json_object();
  o->set("active", r.active);
  if (!r.active) {
    o->set("decision_id", r.decision_id);
    return json_response(200, o);
  }
  const AccessModel& m = r.snapshot->model();
  o->set("user", user_brief_json(*r.user));
  o->set("institution", institution_brief_json(*r.institution));
  o->set("roles", roles_brief_json(m, *r.user));
  o->set("permissions", permission_ids_json(m, *r.user));
  o->set("granted_via", granted_via_json(m, r.decision));
  o->set("skip_second_factor", r.skip_second_factor);
  o->set("mfa", r.mfa);
  o->set("auth_time", r.auth_time);
  o->set("data_as_of", ctx.snapshots.data_as_of(*r.snapshot));
  o->set("revision", r.snapshot->revision().number);
  o->set("decision_id", r.decision_id);
  return json_response(200, o);
}

}  // namespace

void add_handoff_routes(Router& router, ApiContext& ctx) {
  router.add({"POST", "/v1/handoffs", {ClientKind::Site}, true},
             [&ctx](const ApiRequest& req) { return issue(ctx, req); });
  // Any authenticated client reaches redeem: a non-school one burns the ticket, is audited
  // (wrong_client_kind) and is answered "not active" like any other failed redeem.
  router.add({"POST",
              "/v1/handoffs/redeem",
              {ClientKind::School, ClientKind::Site, ClientKind::Admin},
              true},
             [&ctx](const ApiRequest& req) { return redeem(ctx, req); });
}

}  // namespace trustgate
