#include "ctl/command_line.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ctl/commands.h"

namespace trustgate::ctl {
namespace {

constexpr const char* kFooter = R"(
The config defaults to $TRUSTGATE_CONFIG, else /etc/trustgate/trustgate.toml.
A USER is a username or id:<stable id>. Run 'trustgatectl VERB --help' for a verb's usage.

Exit status, the same for every verb, with or without --json:
  0  done; allowed; found
  1  no: denied, not found, not removable, the audit chain is broken
  2  usage or configuration error
  3  unavailable: the store, the handoff database or a directory source
  4  a sync refused by the safety checks (plan: a sync would be refused)
See trustgatectl(8).)";

constexpr const char* kVerbFooter = R"(
Global options, before or after the verb: -c,--config PATH, --json, --version.
Exit status: 0 done/allowed/found, 1 no (denied, not found), 2 usage or configuration error,
3 unavailable (store, handoff database, directory source), 4 sync refused. See trustgatectl(8).)";

// A verb: its subcommand, and what runs once the command line has parsed onto its arguments.
struct Verb {
  CLI::App* app;
  std::function<int()> run;
};

// A count or unix seconds: a non-negative whole number, else "--limit: needs a number (...)".
CLI::Validator whole_number(const std::string& what) {
  return CLI::Validator(
      [what](std::string& value) -> std::string {
        std::int64_t n = 0;
        const char* end = value.data() + value.size();
        const auto parsed = std::from_chars(value.data(), end, n);
        if (parsed.ec == std::errc() && parsed.ptr == end && n >= 0) return "";
        return "needs a number (" + what + "), not '" + value + "'";
      },
      "");
}

// "trustgatectl: <what>" and where to read the usage of the verb being parsed.
std::string failure_text(const CLI::App* app, const CLI::Error& e) {
  std::string path = app->get_name();
  for (auto subs = app->get_subcommands(); !subs.empty(); subs = subs.front()->get_subcommands())
    path += " " + subs.front()->get_name();
  return "trustgatectl: " + std::string(e.what()) + "\nRun '" + path + " --help' for the usage.\n";
}

// The grammar, and the verbs' arguments it parses onto (kept for the verb that runs).
class CommandLine {
 public:
  explicit CommandLine(Context& ctx);
  int run(int argc, const char* const* argv);

 private:
  CLI::App* add_verb(CLI::App& parent, const char* name, const char* about,
                     std::function<int()> run);
  void add_sync_verbs();
  void add_read_verbs();
  void add_association_verbs();
  void add_audit_verbs();
  void add_history_verbs();
  void add_test_connection_verbs();
  void add_association_target(CLI::App* verb, AssociationArgs& args);
  int refuse(const CLI::ParseError& e);

  Context& ctx_;
  CLI::App app_{"Inspect and administer a trustgate access table.", "trustgatectl"};
  std::vector<Verb> verbs_;  // parents before their own verbs (audit, then audit verify)
  SyncArgs sync_;
  ExplainArgs explain_;
  InstitutionsArgs institutions_;
  AssociationArgs associate_, dissociate_;
  AuditArgs audit_;
  HistoryArgs history_;
  ShowArgs show_;
  TestConnectionArgs test_connection_;
  std::vector<CLI::Option*> audit_filters_;
};

CommandLine::CommandLine(Context& ctx) : ctx_(ctx) {
  app_.footer(kFooter);
  app_.set_version_flag("--version", "trustgatectl " TRUSTGATE_VERSION);
  app_.add_option("-c,--config", ctx_.config_path, "the configuration file")
      ->type_name("PATH")
      ->envname("TRUSTGATE_CONFIG")
      ->capture_default_str();
  app_.add_flag("--json", ctx_.json, "print JSON instead of tables");
  app_.require_subcommand(1);
  // The global options may also follow the verb ("trustgatectl plan --json").
  app_.fallthrough();
  app_.get_formatter()->label("SUBCOMMAND", "VERB");
  add_verb(app_, "check-config", "Validate the config; every error names file, line and key.",
           [this] { return cmd_check_config(ctx_); });
  add_sync_verbs();
  add_read_verbs();
  add_association_verbs();
  add_audit_verbs();
  add_history_verbs();
  add_test_connection_verbs();
}

CLI::App* CommandLine::add_verb(CLI::App& parent, const char* name, const char* about,
                                std::function<int()> run) {
  CLI::App* sub = parent.add_subcommand(name, about);
  sub->group("Verbs");
  sub->footer(kVerbFooter);
  verbs_.push_back(Verb{sub, std::move(run)});
  return sub;
}

void CommandLine::add_sync_verbs() {
  add_verb(app_, "plan", "What the next sync would change, user by user (applies nothing).",
           [this] { return cmd_plan(ctx_); });
  CLI::App* sync = add_verb(app_, "sync", "Run one sync pass now and apply it.",
                            [this] { return cmd_sync(ctx_, sync_); });
  sync->add_flag("--once", sync_.once, "one pass (required: trustgated runs the sync loop)");
  sync->add_flag("--allow-mass-removal", sync_.allow_mass_removal,
                 "apply a pass that the safety checks refuse");
}

void CommandLine::add_read_verbs() {
  add_verb(app_, "status",
           "The current revision, when, counts, the last sync and the daemon's health.",
           [this] { return cmd_status(ctx_); });
  CLI::App* explain = add_verb(
      app_, "explain", "The login decision for a user and the path that grants or denies it.",
      [this] { return cmd_explain(ctx_, explain_); });
  explain->add_option("USER", explain_.user, "a username or id:<stable id>")->required();
  explain->add_option("INSTITUTION", explain_.institution,
                      "one institution (default: every institution the user has)");
  add_verb(app_, "users", "Every user with roles and associations.",
           [this] { return cmd_users(ctx_); });
  add_verb(app_, "institutions",
           "The institutions (with --user: whether that user may log in to each).",
           [this] { return cmd_institutions(ctx_, institutions_); })
      ->add_option("--user", institutions_.user, "a username or id:<stable id>")
      ->type_name("USER");
  add_verb(app_, "clusters", "The clusters and their institutions.",
           [this] { return cmd_clusters(ctx_); });
}

void CommandLine::add_association_verbs() {
  // They print a line, not a result: --json is refused rather than ignored.
  auto without_json = [this](const char* verb, int (*run)(Context&, const AssociationArgs&),
                             const AssociationArgs& args) {
    if (ctx_.json) {
      return ctx_.fail(kExitUsage, std::string(verb) + " has no JSON output: drop --json");
    }
    return run(ctx_, args);
  };
  CLI::App* associate =
      add_verb(app_, "associate", "Add a manual association, kept across syncs.",
               [=, this] { return without_json("associate", cmd_associate, associate_); });
  add_association_target(associate, associate_);
  associate->add_option("--by", associate_.by, "who made it (default: the invoking user)")
      ->type_name("WHO");
  CLI::App* dissociate = add_verb(
      app_, "dissociate", "Remove a manual association (not one from a cluster or the directory).",
      [=, this] { return without_json("dissociate", cmd_dissociate, dissociate_); });
  add_association_target(dissociate, dissociate_);
}

void CommandLine::add_association_target(CLI::App* verb, AssociationArgs& args) {
  verb->add_option("USER", args.user, "a username or id:<stable id>")->required();
  CLI::Option_group* target = verb->add_option_group("target");
  target->add_option("--institution", args.institution, "one institution")->type_name("ID");
  target->add_option("--cluster", args.cluster, "a cluster's institutions")->type_name("ID");
  target->add_flag("--all", args.all, "every institution");
  target->require_option(1);
}

void CommandLine::add_audit_verbs() {
  CLI::App* audit =
      add_verb(app_, "audit", "Query the audit log of handoffs and associations, newest first.",
               [this] { return cmd_audit(ctx_, audit_); });
  audit->require_subcommand(0, 1);
  add_verb(*audit, "verify", "Check the audit hash chain; names the first broken row.", [this] {
    for (const CLI::Option* f : audit_filters_) {
      if (f->count() > 0) {
        return ctx_.fail(kExitUsage, "audit verify takes no filter, not " + f->get_name());
      }
    }
    return cmd_audit_verify(ctx_);
  });
  audit_filters_ = {
      audit->add_option("--user", audit_.user, "a user's events (username or id:<stable id>)")
          ->type_name("USER"),
      audit
          ->add_option("--institution", audit_.institution,
                       "a school's events: handoffs to it and associations with it")
          ->type_name("ID"),
      audit->add_option("--by", audit_.by, "what an API client or an operator (login) did")
          ->type_name("CLIENT|OPERATOR"),
      audit
          ->add_option_function<std::string>(
              "--action", [this](const std::string& a) { audit_.query.actions = {a}; },
              "one action (issue, redeem, associate, dissociate)")
          ->type_name("ACTION"),
      audit
          ->add_option_function<std::string>(
              "--decision", [this](const std::string& d) { audit_.query.allowed = d == "allow"; },
              "allow or deny")
          ->check(CLI::IsMember({"allow", "deny"})),
      audit->add_option("--since", audit_.query.since, "from (unix seconds)")
          ->type_name("UNIX")
          ->check(whole_number("unix seconds")),
      audit->add_option("--until", audit_.query.until, "until (unix seconds)")
          ->type_name("UNIX")
          ->check(whole_number("unix seconds")),
      audit->add_option("--limit", audit_.query.limit, "at most N events")
          ->type_name("N")
          ->capture_default_str()
          ->check(whole_number("a count")),
  };
}

void CommandLine::add_history_verbs() {
  CLI::App* history = add_verb(
      app_, "history",
      "Revisions and manual changes, newest first: when, who (sync or operator), what changed.",
      [this] { return cmd_history(ctx_, history_); });
  history->add_option("--limit", history_.limit, "at most N entries")
      ->type_name("N")
      ->capture_default_str()
      ->check(whole_number("a count"));
  CLI::App* show = add_verb(app_, "show", "One revision: its counts and its changes user by user.",
                            [this] { return cmd_show(ctx_, show_); });
  show->add_option("REVISION", show_.revision, "a revision number (see 'history')")
      ->required()
      ->check(whole_number("a revision number"));
}

void CommandLine::add_test_connection_verbs() {
  add_verb(app_, "test-connection",
           "Test each directory source step by step: DNS, TCP, TLS, bind, base, counts, controls.",
           [this] { return cmd_test_connection(ctx_, test_connection_); })
      ->add_option("SOURCE", test_connection_.source,
                   "a configured source's name (default: every source)");
}

int CommandLine::run(int argc, const char* const* argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return refuse(e);
  }
  // In reverse: a verb's own verbs (audit verify) come after it.
  for (auto v = verbs_.rbegin(); v != verbs_.rend(); ++v) {
    if (!v->app->parsed()) continue;
    try {
      return v->run();
    } catch (const std::exception& e) {
      return ctx_.fail(kExitUnavailable, e.what());
    }
  }
  return ctx_.fail(kExitUsage, "no verb given: run 'trustgatectl --help' for the usage");
}

// --help and --version (CLI11 ends the parse with them), else the reason the command line is
// refused.
int CommandLine::refuse(const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    return app_.exit(e, ctx_.out, ctx_.err);
  }
  // No verb: CLI11 would only say that one is required, not what stood in its place.
  if (app_.get_subcommands().empty() && dynamic_cast<const CLI::RequiredError*>(&e)) {
    const std::vector<std::string> rest = app_.remaining();
    const std::string what = rest.empty()               ? "no verb given"
                             : rest[0].starts_with("-") ? "unknown option '" + rest[0] + "'"
                                                        : "unknown verb '" + rest[0] + "'";
    return ctx_.fail(kExitUsage, what + ": run 'trustgatectl --help' for the usage");
  }
  ctx_.err << failure_text(&app_, e);
  return kExitUsage;
}

}  // namespace

int run_command_line(Context& ctx, int argc, const char* const* argv) {
  try {
    return CommandLine(ctx).run(argc, argv);
  } catch (const std::exception& e) {  // building the grammar: CLI11 throws on a bad definition
    return ctx.fail(kExitUnavailable, e.what());
  }
}

}  // namespace trustgate::ctl
