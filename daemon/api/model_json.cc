#include "daemon/api/model_json.h"

#include <set>

#include "daemon/http/api_json.h"

namespace trustgate {

Poco::JSON::Object::Ptr provenance_json(const Provenance& p) {
  auto o = json_object();
  o->set("kind", p.kind == Provenance::Kind::Rule ? "rule" : "manual");
  if (p.kind == Provenance::Kind::Rule) {
    o->set("rule", p.rule);
    o->set("group", p.group);
    Poco::JSON::Array::Ptr chain = new Poco::JSON::Array();
    for (const auto& g : p.chain) chain->add(g);
    o->set("chain", chain);
  }
  o->set("source", p.source);
  return o;
}

Poco::JSON::Object::Ptr association_json(const AccessModel& m, const Association& a) {
  auto o = json_object();
  o->set("kind", std::string(to_string(a.kind)));
  o->set("target", a.target);
  std::string name;
  if (a.kind == AssociationKind::Institution) {
    if (const auto* i = m.find_institution(a.target)) name = i->name;
  } else if (a.kind == AssociationKind::Cluster) {
    if (auto it = m.clusters.find(a.target); it != m.clusters.end()) name = it->second.name;
  } else {
    name = "All institutions";
  }
  o->set("name", name);
  o->set("via", provenance_json(*a.via));
  o->set("description", describe(m, a));
  return o;
}

Poco::JSON::Object::Ptr user_brief_json(const User& u) {
  auto o = json_object();
  o->set("id", u.id);
  o->set("username", u.username);
  o->set("display_name", u.display_name);
  o->set("email", u.email);
  return o;
}

Poco::JSON::Object::Ptr institution_brief_json(const Institution& i) {
  auto o = json_object();
  o->set("id", i.id);
  o->set("name", i.name);
  return o;
}

Poco::JSON::Array::Ptr roles_brief_json(const AccessModel& m, const User& u) {
  std::set<std::string> ids;
  for (const auto& g : u.roles) ids.insert(g.role);
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  for (const auto& id : ids) {
    auto o = json_object();
    o->set("id", id);
    auto it = m.roles.find(id);
    o->set("name", it == m.roles.end() ? id : it->second.name);
    arr->add(o);
  }
  return arr;
}

Poco::JSON::Array::Ptr permission_ids_json(const AccessModel& m, const User& u) {
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  for (const auto& p : permissions_of(m, u)) arr->add(p);
  return arr;
}

Poco::JSON::Object::Ptr granted_via_json(const AccessModel& m, const Decision& d) {
  auto o = json_object();
  o->set("path", d.path);
  if (d.association_via) {
    o->set("association", association_json(m, *d.association_via));
  } else {
    o->set("association", Poco::Dynamic::Var());
  }
  Poco::JSON::Array::Ptr perms = new Poco::JSON::Array();
  for (const auto& g : d.permission_via) {
    auto r = json_object();
    r->set("role", g.role);
    r->set("via", provenance_json(*g.via));
    perms->add(r);
  }
  o->set("permission_via", perms);
  return o;
}

Poco::JSON::Object::Ptr decision_json(const AccessModel& m, const Decision& d) {
  auto o = json_object();
  o->set("allowed", d.allowed);
  o->set("reason", d.reason);
  auto pre = json_object();
  pre->set("profile", d.profile_ok);
  pre->set("permission", d.permission_ok);
  pre->set("association", d.association_ok);
  o->set("preconditions", pre);
  o->set("path", d.path);
  o->set("granted_via", granted_via_json(m, d));
  return o;
}

}  // namespace trustgate
