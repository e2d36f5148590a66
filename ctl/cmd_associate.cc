// associate / dissociate: manual associations, kept across syncs. Removing a school the
// user has through a cluster or a directory group is refused, naming what grants it. Every
// change, and every refused removal, is audited as the API audits it (change_audit.h).
#include "ctl/change_audit.h"
#include "ctl/commands.h"
#include "mapping/decision.h"

namespace trustgate::ctl {
namespace {

struct Target {
  AssociationKind kind;
  std::string id;

  std::string text() const {  // "institution 100001", "all"
    return std::string(to_string(kind)) + (id.empty() ? "" : " " + id);
  }
  std::string audited() const {  // as the API audits it: "institution:100001", "*"
    return kind == AssociationKind::All ? "*" : std::string(to_string(kind)) + ":" + id;
  }
};

Target target_of(const AssociationArgs& args) {
  if (args.all) return Target{AssociationKind::All, ""};
  if (args.cluster) return Target{AssociationKind::Cluster, *args.cluster};
  return Target{AssociationKind::Institution, args.institution.value_or("")};
}

struct Loaded {
  std::unique_ptr<Store> store;
  std::optional<ChangeAudit> audit;
  AccessModel merged;
  const User* user = nullptr;  // the one named on the command line
};

// The current revision with manual associations merged in, and the user `key` names.
OrExit<Loaded> load_model(const Context& ctx, const std::string& key) {
  auto config = ctx.load();
  if (!config) return exit_with(config.error());
  auto store = ctx.open_store(*config);
  if (!store) return exit_with(store.error());
  auto audit = ChangeAudit::open(ctx, *config);
  if (!audit) return exit_with(audit.error());
  auto current = (*store)->load_current();
  auto manual = (*store)->manual_associations();
  if (!current || !manual) return exit_with(ctx.fail(kExitUnavailable, "cannot read the store"));
  if (!*current) {
    return exit_with(ctx.fail(kExitNo, "no revision yet: run 'trustgatectl sync --once' first"));
  }
  Loaded out{std::move(*store), std::move(*audit), with_manual((*current)->model, *manual)};
  out.user = named_user(ctx, out.merged.lookup(parse_user_key(key)), key);
  if (!out.user) return exit_with(kExitNo);
  return out;
}

}  // namespace

int cmd_associate(Context& ctx, const AssociationArgs& args) {
  const Target target = target_of(args);
  auto loaded = load_model(ctx, args.user);
  if (!loaded) return loaded.error();
  const User* user = loaded->user;
  if (target.kind == AssociationKind::Institution &&
      !loaded->merged.institutions.contains(target.id)) {
    return ctx.fail(kExitNo, "unknown institution '" + target.id + "'");
  }
  if (target.kind == AssociationKind::Cluster && !loaded->merged.clusters.contains(target.id)) {
    return ctx.fail(kExitNo, "unknown cluster '" + target.id + "'");
  }
  ManualAssociation a{user->id, target.kind, target.id, args.by.value_or(ctx.operator_id()),
                      unix_seconds(ctx.clock.now())};
  if (auto r = loaded->store->add_manual(a); !r)
    return ctx.fail(kExitUnavailable, r.error().message);
  ctx.out << "associated " << user->username << " with " << target.text() << '\n';
  return loaded->audit->record(ctx, "associate", user->id, target.audited(), true, "manual");
}

int cmd_dissociate(Context& ctx, const AssociationArgs& args) {
  const Target target = target_of(args);
  auto loaded = load_model(ctx, args.user);
  if (!loaded) return loaded.error();
  const User* user = loaded->user;
  RemovalCheck check = check_removal(loaded->merged, user->id, target.kind, target.id);
  if (!check.removable) {
    if (!check.blocking_kind.empty()) {
      if (int r = loaded->audit->record(ctx, "dissociate", user->id, target.audited(), false,
                                        "blocked_by_" + check.blocking_kind);
          r != kExitOk) {
        return r;
      }
      ctx.err << "trustgatectl: cannot remove: " << user->username << " has it through "
              << check.blocking_kind << " " << check.blocking_name
              << (check.blocking_kind == "cluster" ? " (remove the cluster instead)"
                                                   : " (change it in the directory)")
              << '\n';
    } else {
      ctx.err << "trustgatectl: " << user->username << " has no manual association with "
              << target.text() << '\n';
    }
    return kExitNo;
  }
  auto removed = loaded->store->remove_manual(user->id, target.kind, target.id);
  if (!removed) return ctx.fail(kExitUnavailable, removed.error().message);
  ctx.out << "dissociated " << user->username << " from " << target.text() << '\n';
  return loaded->audit->record(ctx, "dissociate", user->id, target.audited(), true, "manual");
}

}  // namespace trustgate::ctl
