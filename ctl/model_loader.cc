#include "ctl/model_loader.h"

#include <Poco/JSON/Stringifier.h>

namespace trustgate::ctl {

std::optional<LoadedView> load_view(Context& ctx) {
  auto config = ctx.load();
  if (!config) return std::nullopt;
  auto store = ctx.open_store(*config);
  if (!store) {
    ctx.err << "trustgatectl: " << store.error().message << '\n';
    return std::nullopt;
  }
  auto snap = load_serving_snapshot(**store);
  if (!snap) {
    ctx.err << "trustgatectl: " << snap.error().message << '\n';
    return std::nullopt;
  }
  if (!*snap) {
    ctx.err
        << "trustgatectl: no revision yet: run 'trustgatectl sync --once' or start trustgated\n";
    return std::nullopt;
  }
  return LoadedView{std::move(*store), std::move(*snap)};
}

void print_json(Context& ctx, const Poco::Dynamic::Var& value) {
  Poco::JSON::Stringifier::stringify(value, ctx.out, 2);
  ctx.out << '\n';
}

}  // namespace trustgate::ctl
