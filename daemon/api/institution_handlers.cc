// GET /v1/institutions[?user=]                 browse; can_log_in per school when a user is given
// GET /v1/clusters                             clusters with their schools
// GET /v1/explain?user=[&institution=]         the decision and its path
// All for site and admin clients.
#include <algorithm>

#include "daemon/api/api_context.h"
#include "daemon/api/model_json.h"
#include "daemon/api/requested_user.h"
#include "daemon/http/api_json.h"

namespace trustgate {
namespace {

const std::set<ClientKind> kReaders = {ClientKind::Site, ClientKind::Admin};

ApiResponse browse(ApiContext& ctx, const ApiRequest& req) {
  SnapshotPtr snap = ctx.snapshots.get();
  if (!snap) return not_ready_response();
  const AccessModel& m = snap->model();
  const User* u = nullptr;
  std::vector<std::string> loginable;
  if (const std::string* key = req.query_value("user")) {
    auto found = requested_user(*snap, *key);
    if (!found) return found.error();
    u = *found;
    loginable = loginable_institutions(m, *u);
  }
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
  for (const auto& [id, inst] : m.institutions) {
    auto o = institution_brief_json(inst);
    o->set("mis_url", inst.mis_url);
    if (u != nullptr) {
      o->set("can_log_in", std::binary_search(loginable.begin(), loginable.end(), id));
    }
    list->add(o);
  }
  auto o = json_object();
  if (u != nullptr) o->set("user", u->id);
  o->set("institutions", list);
  o->set("revision", snap->revision().number);
  return json_response(200, o);
}

ApiResponse clusters(ApiContext& ctx, const ApiRequest&) {
  SnapshotPtr snap = ctx.snapshots.get();
  if (!snap) return not_ready_response();
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
  for (const auto& [id, c] : snap->model().clusters) {
    auto o = json_object();
    o->set("id", c.id);
    o->set("name", c.name);
    Poco::JSON::Array::Ptr members = new Poco::JSON::Array();
    for (const auto& i : c.institutions) members->add(i);
    o->set("institutions", members);
    list->add(o);
  }
  auto o = json_object();
  o->set("clusters", list);
  o->set("revision", snap->revision().number);
  return json_response(200, o);
}

ApiResponse explain(ApiContext& ctx, const ApiRequest& req) {
  SnapshotPtr snap = ctx.snapshots.get();
  if (!snap) return not_ready_response();
  const std::string* user_key = req.query_value("user");
  if (user_key == nullptr || user_key->empty()) {
    return error_response(400, "missing_field", "the user query parameter is required");
  }
  const AccessModel& m = snap->model();
  auto o = json_object();
  o->set("user", *user_key);
  if (const std::string* inst = req.query_value("institution"); inst && !inst->empty()) {
    o->set("institution", *inst);
    o->set("decision", decision_json(m, snap->decide(parse_user_key(*user_key), *inst)));
  } else {
    // Every associated institution, each with its decision.
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    const UserLookup found = snap->lookup(parse_user_key(*user_key));
    if (found.user != nullptr) {
      for (const auto& id : associated_institutions(m, *found.user)) {
        auto d = json_object();
        d->set("institution", id);
        d->set("decision", decision_json(m, trustgate::decide(m, found, id)));
        list->add(d);
      }
    } else {
      o->set("decision", decision_json(m, trustgate::decide(m, found, "")));
    }
    o->set("institutions", list);
  }
  o->set("revision", snap->revision().number);
  return json_response(200, o);
}

}  // namespace

void add_institution_routes(Router& router, ApiContext& ctx) {
  router.add({"GET", "/v1/institutions", kReaders},
             [&ctx](const ApiRequest& req) { return browse(ctx, req); });
  router.add({"GET", "/v1/clusters", kReaders},
             [&ctx](const ApiRequest& req) { return clusters(ctx, req); });
  router.add({"GET", "/v1/explain", kReaders},
             [&ctx](const ApiRequest& req) { return explain(ctx, req); });
}

}  // namespace trustgate
