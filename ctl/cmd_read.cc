// explain, users, institutions, clusters: read-only views of the served model.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "ctl/commands.h"
#include "ctl/model_loader.h"
#include "ctl/table.h"
#include "daemon/api/model_json.h"
#include "daemon/http/api_json.h"
#include "mapping/decision.h"

namespace trustgate::ctl {
namespace {

const char* met(bool ok) { return ok ? "met" : "NOT met"; }

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

void print_profile(Context& ctx, const AccessModel& m, const User& u) {
  const Decision d = decide(m, UserLookup::found(&u), "");
  ctx.out << u.username << " (" << u.display_name << ")  id " << u.id << ", source " << u.source
          << '\n';
  ctx.out << "  profile:      " << met(d.profile_ok) << (u.enabled ? "" : " (account disabled)")
          << '\n';
  ctx.out << "  permission:   " << met(d.permission_ok) << " (" << kLoginPermission << ")\n";
  for (const auto& g : d.permission_via)
    ctx.out << "                role " << g.role << " (" << describe(*g.via) << ")" << '\n';
  const auto schools = associated_institutions(m, u);
  ctx.out << "  association:  " << met(!schools.empty()) << '\n';
  if (u.associations.empty()) ctx.out << "                not associated with any institutions\n";
  for (const auto& a : u.associations) ctx.out << "                " << describe(m, a) << '\n';
  ctx.out << "  roles:        ";
  std::vector<std::string> roles;
  for (const auto& g : u.roles) roles.push_back(g.role);
  ctx.out << (roles.empty() ? "none" : join(roles)) << '\n';
  ctx.out << "  permissions:  " << join(permissions_of(m, u)) << '\n';
  const auto can = loginable_institutions(m, u);
  ctx.out << "  can log in to (" << can.size() << "): ";
  std::vector<std::string> names;
  for (const auto& id : can) names.push_back(id + " " + m.institutions.at(id).name);
  ctx.out << (names.empty() ? "none" : join(names, "; ")) << '\n';
}

}  // namespace

// Exit 0 when the user may log in (to the institution asked, or to at least one), 1 when not.
int cmd_explain(Context& ctx, const ExplainArgs& args) {
  auto view = load_view(ctx);
  if (!view) return view.error();
  const AccessModel& m = view->snapshot->model();
  const User* user = named_user(ctx, view->snapshot->lookup(parse_user_key(args.user)), args.user);
  if (!user) return kExitNo;
  if (args.institution && !m.find_institution(*args.institution)) {
    ctx.err << "trustgatectl: unknown institution '" << *args.institution << "'\n";
    return kExitNo;
  }
  if (!args.institution) {
    if (ctx.json) {
      // No institution asked: the profile's preconditions and a decision per associated
      // institution (as GET /v1/explain), not one decision for "no institution".
      const Decision profile = decide(m, UserLookup::found(user), "");
      auto o = json_object();
      o->set("user", user_brief_json(*user));
      o->set("profile_ok", profile.profile_ok);
      o->set("permission_ok", profile.permission_ok);
      Poco::JSON::Array::Ptr each = new Poco::JSON::Array;
      for (const auto& id : associated_institutions(m, *user)) {
        auto d = json_object();
        d->set("institution", id);
        d->set("decision", decision_json(m, decide(m, UserLookup::found(user), id)));
        each->add(d);
      }
      o->set("institutions", each);
      Poco::JSON::Array::Ptr can = new Poco::JSON::Array;
      for (const auto& id : loginable_institutions(m, *user)) can->add(id);
      o->set("can_log_in_to", can);
      print_json(ctx, o);
    } else {
      print_profile(ctx, m, *user);
    }
    return loginable_institutions(m, *user).empty() ? kExitNo : kExitOk;
  }
  const Institution& inst = *m.find_institution(*args.institution);
  const Decision d = decide(m, UserLookup::found(user), *args.institution);
  const int code = d.allowed ? kExitOk : kExitNo;
  if (ctx.json) {
    auto o = decision_json(m, d);
    o->set("user", user_brief_json(*user));
    o->set("institution", institution_brief_json(inst));
    print_json(ctx, o);
    return code;
  }
  ctx.out << user->username << " -> " << inst.id << " " << inst.name << ": "
          << (d.allowed ? "ALLOWED" : "DENIED (" + d.reason + ")") << '\n'
          << "  1. profile exists and is enabled:   " << met(d.profile_ok) << '\n'
          << "  2. login permission through a role: " << met(d.permission_ok) << '\n'
          << "  3. associated with " << inst.id << ":          " << met(d.association_ok) << '\n';
  if (!d.path.empty())
    ctx.out << "  " << (d.allowed ? "granted " : "association: ") << d.path << '\n';
  return code;
}

int cmd_users(Context& ctx) {
  auto view = load_view(ctx);
  if (!view) return view.error();
  const AccessModel& m = view->snapshot->model();
  if (ctx.json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& [id, u] : m.users) {
      auto o = user_brief_json(u);
      o->set("enabled", u.enabled);
      o->set("roles", roles_brief_json(m, u));
      Poco::JSON::Array::Ptr can = new Poco::JSON::Array;
      for (const auto& i : loginable_institutions(m, u)) can->add(i);
      o->set("can_log_in_to", can);
      arr->add(o);
    }
    print_json(ctx, arr);
    return kExitOk;
  }
  Table t({"USERNAME", "NAME", "ENABLED", "ROLES", "SCHOOLS", "ASSOCIATIONS"});
  for (const auto& [id, u] : m.users) {
    std::vector<std::string> roles, assoc;
    for (const auto& g : u.roles)
      if (std::find(roles.begin(), roles.end(), g.role) == roles.end()) roles.push_back(g.role);
    for (const auto& a : u.associations) {
      std::string s =
          a.kind == AssociationKind::All ? "all" : std::string(to_string(a.kind)) + ":" + a.target;
      if (std::find(assoc.begin(), assoc.end(), s) == assoc.end()) assoc.push_back(s);
    }
    t.add({u.username, u.display_name, u.enabled ? "yes" : "no", join(roles, ","),
           std::to_string(loginable_institutions(m, u).size()),
           assoc.empty() ? "not associated with any institutions" : join(assoc, ",")});
  }
  t.print(ctx.out);
  return kExitOk;
}

int cmd_institutions(Context& ctx, const InstitutionsArgs& args) {
  auto view = load_view(ctx);
  if (!view) return view.error();
  const AccessModel& m = view->snapshot->model();
  const User* user = nullptr;
  if (args.user) {
    user = named_user(ctx, view->snapshot->lookup(parse_user_key(*args.user)), *args.user);
    if (!user) return kExitNo;
  }
  std::vector<std::string> can =
      user ? loginable_institutions(m, *user) : std::vector<std::string>{};
  if (ctx.json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& [id, i] : m.institutions) {
      auto o = institution_brief_json(i);
      o->set("mis_url", i.mis_url);
      o->set("skip_second_factor", std::string(to_string(i.skip_second_factor)));
      if (user) o->set("can_log_in", std::binary_search(can.begin(), can.end(), id));
      arr->add(o);
    }
    print_json(ctx, arr);
    return kExitOk;
  }
  std::vector<std::string> headers{"ID", "NAME", "MIS SITE", "SKIP 2FA"};
  if (user) headers.push_back("CAN LOG IN");
  Table t(headers);
  for (const auto& [id, i] : m.institutions) {
    std::vector<std::string> row{id, i.name, i.mis_url,
                                 std::string(to_string(i.skip_second_factor))};
    if (user) row.push_back(std::binary_search(can.begin(), can.end(), id) ? "yes" : "no");
    t.add(row);
  }
  t.print(ctx.out);
  return kExitOk;
}

int cmd_clusters(Context& ctx) {
  auto view = load_view(ctx);
  if (!view) return view.error();
  const AccessModel& m = view->snapshot->model();
  if (ctx.json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& [id, c] : m.clusters) {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
      o->set("id", id);
      o->set("name", c.name);
      Poco::JSON::Array::Ptr schools = new Poco::JSON::Array;
      for (const auto& i : c.institutions) schools->add(i);
      o->set("institutions", schools);
      arr->add(o);
    }
    print_json(ctx, arr);
    return kExitOk;
  }
  Table t({"ID", "NAME", "SCHOOLS"});
  for (const auto& [id, c] : m.clusters) t.add({id, c.name, join(c.institutions, ",")});
  t.print(ctx.out);
  return kExitOk;
}

}  // namespace trustgate::ctl
