// GET /v1/users/{id}               staff profile (site, admin)
// GET /v1/users/{id}/institutions  the "Log in to MIS" drop-down (site, admin)
// {id} is "id:<stable id>" or a username (case-insensitive); never one taken for the other.
#include "daemon/api/api_context.h"
#include "daemon/api/model_json.h"
#include "daemon/api/requested_user.h"
#include "daemon/http/api_json.h"
#include "daemon/http/json_writer.h"

namespace trustgate {
namespace {

const std::set<ClientKind> kReaders = {ClientKind::Site, ClientKind::Admin};

ApiResponse profile(ApiContext& ctx, const ApiRequest& req) {
  SnapshotPtr snap = ctx.snapshots.get();
  if (!snap) return not_ready_response();
  auto found = requested_user(*snap, req.param("id"));
  if (!found) return found.error();
  const User* u = *found;
  const AccessModel& m = snap->model();

  auto o = user_brief_json(*u);
  o->set("enabled", u->enabled);
  o->set("source", u->source);
  o->set("dn", u->dn);

  Poco::JSON::Array::Ptr roles = new Poco::JSON::Array();
  for (const auto& g : u->roles) {
    auto r = json_object();
    r->set("id", g.role);
    auto it = m.roles.find(g.role);
    r->set("name", it == m.roles.end() ? g.role : it->second.name);
    r->set("via", provenance_json(*g.via));
    r->set("description", describe(*g.via));
    roles->add(r);
  }
  o->set("roles", roles);

  const auto perms = permissions_of(m, *u);
  Poco::JSON::Array::Ptr permissions = new Poco::JSON::Array();
  for (const auto& p : perms) {
    auto po = json_object();
    po->set("id", p);
    auto it = m.permissions.find(p);
    po->set("name", it == m.permissions.end() ? p : it->second.name);
    permissions->add(po);
  }
  o->set("permissions", permissions);

  Poco::JSON::Array::Ptr assocs = new Poco::JSON::Array();
  for (const auto& a : u->associations) assocs->add(association_json(m, a));
  o->set("associations", assocs);
  const auto associated = associated_institutions(m, *u);
  Poco::JSON::Array::Ptr associated_json = new Poco::JSON::Array();
  for (const auto& id : associated) associated_json->add(id);
  o->set("associated_institutions", associated_json);

  const bool has_permission =
      std::find(perms.begin(), perms.end(), std::string(kLoginPermission)) != perms.end();
  auto pre = json_object();
  pre->set("profile", u->enabled);
  pre->set("permission", has_permission);
  pre->set("association", !associated.empty());
  o->set("preconditions", pre);
  o->set("can_log_in", u->enabled && has_permission && !associated.empty());
  if (associated.empty()) {
    o->set("message", "Not associated with any institutions");
  } else {
    o->set("message", Poco::Dynamic::Var());
  }
  o->set("revision", snap->revision().number);
  return json_response(200, o);
}

// The most read answer of all: written straight out (json_writer.h), the same JSON as
// institution_brief_json plus mis_url would give.
ApiResponse dropdown(ApiContext& ctx, const ApiRequest& req) {
  SnapshotPtr snap = ctx.snapshots.get();
  if (!snap) return not_ready_response();
  auto found = requested_user(*snap, req.param("id"));
  if (!found) return found.error();
  const User* u = *found;
  const AccessModel& m = snap->model();
  JsonWriter w;
  w.begin_object().key("user").value(u->id).key("institutions").begin_array();
  for (const auto& id : loginable_institutions(m, *u)) {
    const Institution* inst = m.find_institution(id);
    if (inst == nullptr) continue;
    w.begin_object().key("id").value(inst->id).key("name").value(inst->name);
    w.key("mis_url").value(inst->mis_url).end_object();
  }
  w.end_array().key("revision").value(static_cast<std::int64_t>(snap->revision().number));
  return json_response(200, w.end_object().take());
}

}  // namespace

void add_user_routes(Router& router, ApiContext& ctx) {
  router.add({"GET", "/v1/users/{id}", kReaders},
             [&ctx](const ApiRequest& req) { return profile(ctx, req); });
  router.add({"GET", "/v1/users/{id}/institutions", kReaders},
             [&ctx](const ApiRequest& req) { return dropdown(ctx, req); });
}

}  // namespace trustgate
