#include "daemon/daemon.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <optional>

#include "daemon/api/api_context.h"
#include "daemon/api/http_server.h"
#include "daemon/api/metrics.h"
#include "daemon/config/config_loader.h"
#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/client_auth.h"
#include "daemon/handoff/db_access.h"
#include "daemon/handoff/group_commit_db.h"
#include "daemon/handoff/handoff_db.h"
#include "daemon/handoff/handoff_service.h"
#include "daemon/handoff/sqlite_handoff_ledger.h"
#include "daemon/handoff/ticket_store.h"
#include "daemon/serving/snapshot.h"
#include "daemon/store/manual_association_store.h"
#include "daemon/store/store.h"
#include "daemon/sync/source_factory.h"
#include "daemon/sync/sync_engine.h"
#include "daemon/sync/sync_loop.h"
#include "daemon/systemd/logging.h"

namespace trustgate {
namespace {

// The parts rebuilt when the config is reloaded.
struct SyncRuntime {
  std::vector<std::unique_ptr<DirectorySource>> sources;
  std::unique_ptr<SyncEngine> engine;
  std::unique_ptr<SyncLoop> loop;
};
struct ApiRuntime {
  std::unique_ptr<ClientRegistry> clients;
  std::unique_ptr<HandoffService> handoffs;
  std::unique_ptr<ApiContext> context;
  std::unique_ptr<ApiServer> server;
};

class Daemon {
 public:
  explicit Daemon(DaemonDeps deps) : deps_(std::move(deps)), metrics_(deps_.clock) {}

  Result<void> start(Config config);
  void reload(const std::string& path);
  void tick();
  void stop();

 private:
  Result<std::unique_ptr<SyncRuntime>> build_sync(const Config& config);
  Result<std::unique_ptr<ApiRuntime>> build_api(const Config& config);
  void after_apply(const SyncOutcome& outcome);
  void publish_status();
  // Audit upkeep from tick(): summaries of suppressed failures every tick, retention at start
  // and then hourly.
  void maintain_audit();

  DaemonDeps deps_;
  Config config_;
  std::unique_ptr<Store> store_;
  SnapshotHolder snapshots_;
  std::unique_ptr<GroupCommitDb> handoff_db_;
  std::unique_ptr<TicketStore> tickets_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<SqliteHandoffLedger> ledger_;  // tickets_ and audit_, committed together
  std::unique_ptr<StoreManualAssociations> manual_;
  Metrics metrics_;
  std::unique_ptr<ApiRuntime> api_;
  std::mutex sync_mutex_;  // guards the swap of sync_ against API threads reading its status
  std::unique_ptr<SyncRuntime> sync_;
  std::int64_t data_version_ = -1;       // PRAGMA data_version: moves when another process writes
  std::atomic<bool> ready_sent_{false};  // READY=1 sent (tick and the sync thread both look)
  std::optional<std::chrono::steady_clock::time_point> last_retention_;  // tick thread only
};

Result<std::unique_ptr<SyncRuntime>> Daemon::build_sync(const Config& config) {
  auto rt = std::make_unique<SyncRuntime>();
  auto sources = make_sources(config, deps_.clock);
  if (!sources) return std::unexpected(sources.error());
  rt->sources = std::move(*sources);
  for (auto& source : rt->sources) {
    auto state = store_->source_state(source->name());
    if (state && *state) source->restore_state(**state);
  }
  rt->engine = std::make_unique<SyncEngine>(config.mapping, config.safety, pointers(rt->sources),
                                            *store_, deps_.clock);
  SyncLoop::Options options;
  options.interval = std::chrono::seconds(config.sync_interval_seconds);
  options.batch = std::chrono::milliseconds(config.batch_millis);
  for (const auto& source : config.sources)
    options.reconcile.push_back(std::chrono::seconds(source.reconcile_seconds));
  rt->loop = std::make_unique<SyncLoop>(*rt->engine, pointers(rt->sources), deps_.clock, options,
                                        [this](const SyncOutcome& o) { after_apply(o); });
  return rt;
}

Result<std::unique_ptr<ApiRuntime>> Daemon::build_api(const Config& config) {
  auto rt = std::make_unique<ApiRuntime>();
  auto clients = ClientRegistry::from_config(config.clients);
  if (!clients) return std::unexpected(clients.error());
  rt->clients = std::make_unique<ClientRegistry>(std::move(*clients));
  HandoffOptions handoff;
  handoff.ttl_seconds = config.handoff.ttl_seconds;
  handoff.max_age_seconds = config.handoff.max_age_seconds;
  rt->handoffs =
      std::make_unique<HandoffService>(snapshots_, *ledger_, deps_.clock, deps_.random, handoff);
  rt->context = std::make_unique<ApiContext>(ApiContext{
      snapshots_, *rt->clients, *rt->handoffs, *audit_, metrics_, deps_.clock, manual_.get(),
      [this]() { return snapshots_.reload(*store_); },
      [this]() {
        std::lock_guard lock(sync_mutex_);
        return sync_ ? sync_->loop->status() : SyncStatus{};
      },
      AuthThrottleOptions{config.http.auth_max_failures,
                          std::chrono::seconds(config.http.auth_failure_window_seconds)}});
  auto server = ApiServer::start(config.http, *rt->context);
  if (!server) return std::unexpected(server.error());
  rt->server = std::move(*server);
  return rt;
}

Result<void> Daemon::start(Config config) {
  config_ = std::move(config);
  auto store = Store::open(config_.database, deps_.clock);
  if (!store) return std::unexpected(store.error());
  store_ = std::move(*store);
  // Serve the stored revision at once, even if every directory is down.
  if (auto r = snapshots_.reload(*store_); !r) return r;
  if (auto snap = snapshots_.get()) {
    spdlog::info("serving stored revision {} ({} users)", snap->revision().number,
                 snap->model().users.size());
  }
  auto db = GroupCommitDb::open(handoff_db_path(config_.database));
  if (!db) return std::unexpected(db.error());
  handoff_db_ = std::move(*db);
  auto tickets = TicketStore::open(*handoff_db_);
  if (!tickets) return std::unexpected(tickets.error());
  tickets_ = std::move(*tickets);
  auto key = load_or_create_audit_key(audit_key_path(config_.database), deps_.random);
  if (!key) return std::unexpected(key.error());
  AuditOptions audit_options;
  audit_options.retention_days = config_.audit.retention_days;
  audit_options.max_rows = static_cast<std::int64_t>(config_.audit.max_rows);
  audit_options.failure_rows_per_second = config_.audit.failure_rows_per_second;
  audit_options.checkpoint_key = std::move(*key);
  auto audit = AuditLog::open(*handoff_db_, deps_.clock, std::move(audit_options));
  if (!audit) return std::unexpected(audit.error());
  audit_ = std::move(*audit);
  ledger_ = std::make_unique<SqliteHandoffLedger>(*tickets_, *audit_);
  manual_ = std::make_unique<StoreManualAssociations>(*store_);

  auto api = build_api(config_);
  if (!api) return std::unexpected(api.error());
  api_ = std::move(*api);
  auto sync = build_sync(config_);
  if (!sync) return std::unexpected(sync.error());
  {
    std::lock_guard lock(sync_mutex_);
    sync_ = std::move(*sync);
  }
  data_version_ = store_->try_data_version().value_or(-1);  // nothing else holds it yet
  maintain_audit();
  sync_->loop->start();
  publish_status();
  return {};
}

void Daemon::after_apply(const SyncOutcome& outcome) {
  auto r = outcome.applied_model
               ? snapshots_.publish(*store_, outcome.applied_model, *outcome.revision)
               : snapshots_.reload(*store_);
  if (!r) {
    spdlog::error("reloading the served snapshot failed: {}", r.error().message);
  }
  publish_status();
}

void Daemon::publish_status() {
  SnapshotPtr snap = snapshots_.get();
  SyncStatus s = sync_ ? sync_->loop->status() : SyncStatus{};
  if (snap) metrics_.set_revision(snap->revision().number);
  if (snap && snap->data_as_of()) metrics_.set_last_sync_success(*snap->data_as_of());
  if (s.last_success_at) {
    metrics_.set_last_sync_success(s.last_success_at);
    snapshots_.note_sync_success(s.last_success_at);
  }
  metrics_.set_sync_degraded(s.degraded);
  if (snap && api_ && !ready_sent_.exchange(true)) deps_.notifier.ready();
  std::string line;
  if (!snap) {
    line = s.in_progress ? "first sync running: " + progress_text(s.progress)
                         : "waiting for a first successful sync";
  } else {
    const std::int64_t last =
        s.last_success_at ? s.last_success_at : snap->data_as_of().value_or(0);
    line = fmt::format("revision {}, {} users, {} schools, last sync {}", snap->revision().number,
                       snap->model().users.size(), snap->model().institutions.size(),
                       last ? fmt::format("{} s ago", unix_seconds(deps_.clock.now()) - last)
                            : std::string("never"));
    if (s.in_progress) line += ", syncing (" + progress_text(s.progress) + ")";
  }
  if (s.degraded) line += ", DEGRADED: " + s.degraded_reason;
  deps_.notifier.status(line);
}

void Daemon::maintain_audit() {
  (void)audit_->flush_suppressed();  // a failure is logged by the audit log
  const auto now = deps_.clock.steady_now();
  if (last_retention_ && now - *last_retention_ < std::chrono::hours(1)) return;
  last_retention_ = now;
  (void)audit_->enforce_retention();  // likewise
}

void Daemon::tick() {
  // Another process (trustgatectl sync/associate) changed the store: serve its state. While
  // this process writes a revision the question waits for a later tick (never the tick itself).
  const std::optional<std::int64_t> version = store_->try_data_version();
  if (version && *version != data_version_) {
    data_version_ = *version;
    if (auto r = snapshots_.reload(*store_); !r)
      spdlog::error("reloading after an external change failed: {}", r.error().message);
  }
  maintain_audit();
  publish_status();
  // The watchdog is fed only while the sync loop shows signs of life.
  if (auto interval = deps_.notifier.watchdog_interval()) {
    const auto silent = deps_.clock.steady_now() - sync_->loop->last_heartbeat();
    if (silent < *interval / 2) deps_.notifier.watchdog();
  }
}

void Daemon::reload(const std::string& path) {
  deps_.notifier.reloading();
  ConfigLoad loaded = load_config(path);
  if (!loaded.config) {
    for (const auto& issue : loaded.issues)
      spdlog::error("reload refused, the running config stays: {}", format_issue(issue));
    deps_.notifier.ready();
    return;
  }
  Config next = std::move(*loaded.config);
  if (next.database != config_.database) {
    spdlog::error("reload refused: the database path cannot change on reload (restart instead)");
    deps_.notifier.ready();
    return;
  }
  if (auto r = set_level(*deps_.logger, next.log_level); !r) {
    spdlog::error("reload: {}", r.error().message);
  }
  // Sources, rules and API clients are rebuilt; if any part fails the old one keeps running.
  auto sync = build_sync(next);
  if (!sync) {
    spdlog::error("reload refused, the running config stays: {}", sync.error().message);
    deps_.notifier.ready();
    return;
  }
  api_->server->stop();
  auto api = build_api(next);
  if (!api) {
    spdlog::error("reload refused, the running config stays: {}", api.error().message);
    auto old = build_api(config_);
    if (old) api_ = std::move(*old);
    deps_.notifier.ready();
    return;
  }
  sync_->loop->stop();
  {
    std::lock_guard lock(sync_mutex_);
    sync_ = std::move(*sync);
  }
  api_ = std::move(*api);
  config_ = std::move(next);
  sync_->loop->start();
  spdlog::info("configuration reloaded from {}", path);
  publish_status();
  deps_.notifier.ready();
}

void Daemon::stop() {
  deps_.notifier.stopping();
  if (api_) api_->server->stop();
  if (sync_) sync_->loop->stop();
  spdlog::info("stopped");
}

}  // namespace

void block_daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_daemon(const std::string& config_path, DaemonDeps deps) {
  ConfigLoad loaded = load_config(config_path);
  if (!loaded.config) {
    for (const auto& issue : loaded.issues) spdlog::critical("{}", format_issue(issue));
    spdlog::critical("trustgated: {} error(s) in the configuration; not starting",
                     loaded.issues.size());
    return 2;
  }
  if (auto r = set_level(*deps.logger, loaded.config->log_level); !r)
    spdlog::warn("{}", r.error().message);
  Daemon daemon(std::move(deps));
  if (auto r = daemon.start(std::move(*loaded.config)); !r) {
    spdlog::critical("trustgated: start-up failed: {}", r.error().message);
    daemon.stop();
    return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  const timespec second{1, 0};
  while (true) {
    const int sig = sigtimedwait(&set, nullptr, &second);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", config_path);
      daemon.reload(config_path);
    }
    daemon.tick();
  }
  daemon.stop();
  return 0;
}

}  // namespace trustgate
