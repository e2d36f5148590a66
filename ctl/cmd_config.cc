// check-config: every problem of the config, each with file, line and key, including what
// trustgated accepts from the file but refuses when it starts (a plain-HTTP listen address that
// is not loopback).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "ctl/commands.h"
#include "ctl/model_loader.h"
#include "daemon/config/http_listen.h"

namespace trustgate::ctl {
namespace {

Poco::JSON::Object::Ptr counts_json(const Config& c) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("sources", c.sources.size());
  o->set("rules", c.mapping.rules.size());
  o->set("roles", c.mapping.roles.size());
  o->set("institutions", c.mapping.institutions.size());
  o->set("clusters", c.mapping.clusters.size());
  o->set("clients", c.clients.size());
  return o;
}

void print_json_report(Context& ctx, const std::vector<ConfigIssue>& issues, const Config* c) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("config", ctx.config_path);
  o->set("ok", issues.empty());
  Poco::JSON::Array::Ptr each = new Poco::JSON::Array;
  for (const auto& issue : issues) {
    Poco::JSON::Object::Ptr i = new Poco::JSON::Object;
    i->set("file", issue.file);
    i->set("line", issue.line);
    i->set("key", issue.key);
    i->set("message", issue.message);
    each->add(i);
  }
  o->set("issues", each);
  if (c) o->set("counts", counts_json(*c));
  print_json(ctx, o);
}

}  // namespace

int cmd_check_config(Context& ctx) {
  ConfigLoad loaded = load_config(ctx.config_path);
  std::vector<ConfigIssue> issues = std::move(loaded.issues);
  if (loaded.config) {
    if (auto listen = resolve_http_listen(loaded.config->http); !listen) {
      issues.push_back(
          setting_issue(loaded.settings, "http.listen", ctx.config_path, listen.error().message));
    }
  }
  const Config* c = issues.empty() ? &*loaded.config : nullptr;
  if (ctx.json) {
    print_json_report(ctx, issues, c);
    return c ? kExitOk : kExitUsage;
  }
  for (const auto& issue : issues) ctx.err << format_issue(issue) << '\n';
  if (!c) {
    ctx.err << issues.size() << " error(s) in " << ctx.config_path << '\n';
    return kExitUsage;
  }
  ctx.out << ctx.config_path << ": OK (" << c->sources.size() << " source(s), "
          << c->mapping.rules.size() << " rule(s), " << c->mapping.roles.size() << " role(s), "
          << c->mapping.institutions.size() << " institution(s), " << c->mapping.clusters.size()
          << " cluster(s), " << c->clients.size() << " API client(s))\n";
  return kExitOk;
}

}  // namespace trustgate::ctl
