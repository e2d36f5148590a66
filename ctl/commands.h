#pragma once
// The verbs of trustgatectl, each with its arguments as the command line (command_line.cc)
// parsed them. Each returns an exit code of exit_codes.h.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "ctl/context.h"
#include "daemon/handoff/audit_log.h"

namespace trustgate::ctl {

struct SyncArgs {
  bool once = false;
  bool allow_mass_removal = false;
};

struct ExplainArgs {
  std::string user;
  std::optional<std::string> institution;
};

struct InstitutionsArgs {
  std::optional<std::string> user;  // with it: whether that user may log in to each
};

// associate / dissociate: exactly one of institution, cluster and all (command_line.cc sees to
// it).
struct AssociationArgs {
  std::string user;
  std::optional<std::string> institution, cluster;
  bool all = false;
  std::optional<std::string> by;  // associate only; default: the invoking user
};

// audit: filters as given; the user and the institution are resolved by cmd_audit.
struct AuditArgs {
  std::optional<std::string> user;         // a username or id:<stable id>
  std::optional<std::string> institution;  // its handoffs and its association changes
  std::optional<std::string> by;           // an API client id or an operator's login
  AuditQuery query;                        // action, decision, since, until, limit
};

struct HistoryArgs {
  std::size_t limit = 20;
};

struct ShowArgs {
  std::int64_t revision = 0;
};

// test-connection: one source by name, else every configured source.
struct TestConnectionArgs {
  std::optional<std::string> source;
};

int cmd_check_config(Context&);
int cmd_plan(Context&);
int cmd_sync(Context&, const SyncArgs&);
int cmd_status(Context&);
int cmd_explain(Context&, const ExplainArgs&);
int cmd_users(Context&);
int cmd_institutions(Context&, const InstitutionsArgs&);
int cmd_clusters(Context&);
int cmd_associate(Context&, const AssociationArgs&);
int cmd_dissociate(Context&, const AssociationArgs&);
int cmd_audit(Context&, const AuditArgs&);
int cmd_history(Context&, const HistoryArgs&);
int cmd_show(Context&, const ShowArgs&);
int cmd_audit_verify(Context&);
int cmd_test_connection(Context&, const TestConnectionArgs&);

}  // namespace trustgate::ctl
