// associate / dissociate: manual associations, kept across syncs. Removing a school the
// user has through a cluster or a directory group is refused, naming what grants it.
#include <unistd.h>

#include "ctl/context.h"
#include "mapping/decision.h"

namespace trustgate::ctl {
namespace {

struct Target {
  AssociationKind kind;
  std::string id;
};

std::optional<Target> parse_target(Context& ctx) {
  int given = ctx.flag("institution") + ctx.flag("cluster") + ctx.flag("all");
  if (ctx.args.size() != 1 || given != 1) {
    ctx.err << "usage: trustgatectl associate|dissociate USER (--institution=ID | --cluster=ID | "
               "--all)\n";
    return std::nullopt;
  }
  if (ctx.flag("all")) return Target{AssociationKind::All, ""};
  if (ctx.flag("cluster")) return Target{AssociationKind::Cluster, *ctx.option("cluster")};
  return Target{AssociationKind::Institution, *ctx.option("institution")};
}

struct Loaded {
  std::unique_ptr<Store> store;
  AccessModel merged;
};

std::optional<Loaded> load_model(Context& ctx) {
  auto config = ctx.load();
  if (!config) return std::nullopt;
  auto store = ctx.open_store(*config);
  if (!store) {
    ctx.err << "trustgatectl: " << store.error().message << '\n';
    return std::nullopt;
  }
  auto current = (*store)->load_current();
  auto manual = (*store)->manual_associations();
  if (!current || !manual) {
    ctx.err << "trustgatectl: cannot read the store\n";
    return std::nullopt;
  }
  if (!*current) {
    ctx.err << "trustgatectl: no revision yet: run 'trustgatectl sync --once' first\n";
    return std::nullopt;
  }
  return Loaded{std::move(*store), with_manual((*current)->model, *manual)};
}

std::string who() {
  const char* user = std::getenv("SUDO_USER");
  if (!user) user = std::getenv("USER");
  return std::string("trustgatectl:") + (user ? user : std::to_string(getuid()));
}

}  // namespace

int cmd_associate(Context& ctx) {
  auto target = parse_target(ctx);
  if (!target) return kExitUsage;
  auto loaded = load_model(ctx);
  if (!loaded) return kExitFailure;
  const User* user =
      named_user(ctx, loaded->merged.lookup(parse_user_key(ctx.args[0])), ctx.args[0]);
  if (!user) return kExitNo;
  if (target->kind == AssociationKind::Institution &&
      !loaded->merged.institutions.contains(target->id)) {
    ctx.err << "trustgatectl: unknown institution '" << target->id << "'\n";
    return kExitNo;
  }
  if (target->kind == AssociationKind::Cluster && !loaded->merged.clusters.contains(target->id)) {
    ctx.err << "trustgatectl: unknown cluster '" << target->id << "'\n";
    return kExitNo;
  }
  ManualAssociation a{user->id, target->kind, target->id, ctx.option("by").value_or(who()),
                      unix_seconds(ctx.clock.now())};
  if (auto r = loaded->store->add_manual(a); !r) {
    ctx.err << "trustgatectl: " << r.error().message << '\n';
    return kExitFailure;
  }
  ctx.out << "associated " << user->username << " with " << to_string(target->kind)
          << (target->id.empty() ? "" : " " + target->id) << '\n';
  return kExitOk;
}

int cmd_dissociate(Context& ctx) {
  auto target = parse_target(ctx);
  if (!target) return kExitUsage;
  auto loaded = load_model(ctx);
  if (!loaded) return kExitFailure;
  const User* user =
      named_user(ctx, loaded->merged.lookup(parse_user_key(ctx.args[0])), ctx.args[0]);
  if (!user) return kExitNo;
  RemovalCheck check = check_removal(loaded->merged, user->id, target->kind, target->id);
  if (!check.removable) {
    if (!check.blocking_kind.empty()) {
      ctx.err << "trustgatectl: cannot remove: " << user->username << " has it through "
              << check.blocking_kind << " " << check.blocking_name
              << (check.blocking_kind == "cluster" ? " (remove the cluster instead)"
                                                   : " (change it in the directory)")
              << '\n';
    } else {
      ctx.err << "trustgatectl: " << user->username << " has no manual association with "
              << to_string(target->kind) << (target->id.empty() ? "" : " " + target->id) << '\n';
    }
    return kExitNo;
  }
  auto removed = loaded->store->remove_manual(user->id, target->kind, target->id);
  if (!removed) {
    ctx.err << "trustgatectl: " << removed.error().message << '\n';
    return kExitFailure;
  }
  ctx.out << "dissociated " << user->username << " from " << to_string(target->kind)
          << (target->id.empty() ? "" : " " + target->id) << '\n';
  return kExitOk;
}

}  // namespace trustgate::ctl
