#include "ctl/model_loader.h"

#include <Poco/JSON/Stringifier.h>

namespace trustgate::ctl {

OrExit<LoadedView> load_view(const Context& ctx) {
  auto config = ctx.load();
  if (!config) return exit_with(config.error());
  auto store = ctx.open_store(*config);
  if (!store) return exit_with(store.error());
  auto snap = load_serving_snapshot(**store);
  if (!snap) return exit_with(ctx.fail(kExitUnavailable, snap.error().message));
  if (!*snap) {
    return exit_with(
        ctx.fail(kExitNo, "no revision yet: run 'trustgatectl sync --once' or start trustgated"));
  }
  return LoadedView{std::move(*store), std::move(*snap)};
}

void print_json(Context& ctx, const Poco::Dynamic::Var& value) {
  Poco::JSON::Stringifier::stringify(value, ctx.out, 2);
  ctx.out << '\n';
}

}  // namespace trustgate::ctl
