#include "daemon/sync/sync_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace trustgate {

SyncLoop::SyncLoop(SyncEngine& engine, std::vector<DirectorySource*> sources, const Clock& clock,
                   Options options, OnApplied on_applied)
    : engine_(engine),
      sources_(std::move(sources)),
      clock_(clock),
      options_(options),
      on_applied_(std::move(on_applied)),
      heartbeat_(clock.steady_now()) {}

SyncLoop::~SyncLoop() { stop(); }

void SyncLoop::start() {
  threads_.emplace_back([this](std::stop_token st) { run(st); });
  for (DirectorySource* s : sources_) {
    if (s->supports_changes())
      threads_.emplace_back([this, s](std::stop_token st) { watch(st, s); });
  }
}

void SyncLoop::stop() {
  for (auto& t : threads_) t.request_stop();
  wake_.notify_all();
  threads_.clear();  // joins
}

void SyncLoop::trigger() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  wake_.notify_all();
}

SyncStatus SyncLoop::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::chrono::steady_clock::time_point SyncLoop::last_heartbeat() const {
  std::lock_guard lock(mutex_);
  return heartbeat_;
}

void SyncLoop::heartbeat() {
  std::lock_guard lock(mutex_);
  heartbeat_ = clock_.steady_now();
}

void SyncLoop::run(std::stop_token stop) {
  auto next_full = clock_.steady_now();
  schedule_reconciles(next_full);
  while (!stop.stop_requested()) {
    heartbeat();
    bool due = false;
    {
      std::unique_lock lock(mutex_);
      // Wake at least every second so the heartbeat moves and stop is seen promptly.
      wake_.wait_for(lock, stop, std::chrono::seconds(1), [&] { return pending_; });
      if (stop.stop_requested()) break;
      const auto now = clock_.steady_now();
      // A reconcile falls due on its own clock, not only when a pass happens to run.
      due = pending_ || now >= next_full || now >= next_reconcile();
    }
    if (!due) {
      save_resume_state(false);  // a quiet second: the sources' state may be saved now
      continue;
    }
    // Batch: let a burst of changes settle briefly into one revision.
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, options_.batch, [] { return false; });
      pending_ = false;
    }
    if (stop.stop_requested()) break;
    pass();
    next_full = clock_.steady_now() + options_.interval;
  }
  save_resume_state(true);  // so that a restart resumes from the latest state
}

void SyncLoop::save_resume_state(bool now) {
  const auto started = clock_.steady_now();
  if (!now && started - last_state_save_ < options_.state_save_interval) return;
  last_state_save_ = started;
  auto saved = engine_.save_resume_state();
  if (!saved) {
    spdlog::warn("sync: saving the sources' resume state failed: {}", saved.error().message);
  } else if (*saved) {
    spdlog::info("sync: sources' resume state saved ({:.0f} ms)",
                 std::chrono::duration<double, std::milli>(clock_.steady_now() - started).count());
    checkpoint();  // a large directory's state is tens of MB in the log
  }
}

void SyncLoop::checkpoint() {
  if (auto checkpointed = engine_.checkpoint_store(); !checkpointed)
    spdlog::warn("store checkpoint failed (retried after the next write): {}",
                 checkpointed.error().message);
}

void SyncLoop::schedule_reconciles(std::chrono::steady_clock::time_point now) {
  next_reconcile_.clear();
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const auto every =
        i < options_.reconcile.size() ? options_.reconcile[i] : std::chrono::seconds(0);
    next_reconcile_.push_back(every.count() > 0 ? now + every
                                                : std::chrono::steady_clock::time_point::max());
  }
}

std::chrono::steady_clock::time_point SyncLoop::next_reconcile() const {
  auto next = std::chrono::steady_clock::time_point::max();
  for (const auto& t : next_reconcile_) next = std::min(next, t);
  return next;
}

void SyncLoop::pass() {
  // The first pass reads (or resumes) anyway; a pass at or after a source's reconcile time
  // drops its incremental state for a complete re-read.
  const auto now = clock_.steady_now();
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    if (now < next_reconcile_[i]) continue;
    spdlog::info("source '{}': periodic full reconcile", sources_[i]->name());
    sources_[i]->reconcile();
    next_reconcile_[i] = now + options_.reconcile[i];
  }
  const auto expected = engine_.expected_entries();
  {
    std::lock_guard lock(mutex_);
    status_.in_progress = true;
    meter_.start(clock_.steady_now(), expected);
    status_.progress = meter_.current();
    status_.last_attempt_at = unix_seconds(clock_.now());
  }
  SyncRequest request;
  request.max_user_lines = kHistoryUserLines;  // for the history; the loop logs the summary
  LineThrottle journal(options_.progress_log_interval);  // GUARDED_BY(mutex_)
  (void)journal.due(clock_.steady_now());  // the first line after one interval, not at once
  request.progress = [this, &journal](std::size_t n) {
    const auto now = clock_.steady_now();
    SyncProgress progress;
    bool log = false;
    {
      std::lock_guard lock(mutex_);
      progress = status_.progress = meter_.update(n, now);
      heartbeat_ = now;
      log = journal.due(now);
    }
    if (log) spdlog::info("sync: {}", progress_text(progress));
  };
  auto result = engine_.run(request);
  std::unique_lock lock(mutex_);
  status_.in_progress = false;
  status_.progress = meter_.current();
  status_.passes++;
  if (!result) {
    status_.failed_passes++;
    status_.degraded = true;
    status_.degraded_reason = result.error().message;
    status_.last_outcome = "failed";
    lock.unlock();
    spdlog::error("sync failed, the last good revision keeps serving: {}", result.error().message);
    return;
  }
  const SyncOutcome& outcome = *result;
  status_.progress = meter_.update(outcome.entries_read, clock_.steady_now());
  status_.malformed_entries = outcome.malformed_entries;
  status_.last_outcome = std::string(to_string(outcome.kind));
  if (outcome.kind == SyncOutcome::Kind::Refused) {
    status_.refused_passes++;
    status_.degraded = true;
    status_.degraded_reason = "sync refused: " + outcome.refusals.front();
    lock.unlock();
    for (const auto& why : outcome.refusals) {
      spdlog::error(
          "sync refused, nothing applied (trustgatectl plan shows it; "
          "trustgatectl sync --once --allow-mass-removal applies it): {}",
          why);
    }
    return;
  }
  status_.last_success_at = unix_seconds(clock_.now());
  if (!outcome.source_errors.empty()) {
    status_.degraded = true;
    const auto& [name, why] = *outcome.source_errors.begin();
    status_.degraded_reason = "source '" + name + "' failed: " + why;
  } else {
    status_.degraded = false;
    status_.degraded_reason.clear();
  }
  lock.unlock();
  for (const auto& w : outcome.warnings) {
    spdlog::warn("mapping{}: {}", w.rule.empty() ? "" : " rule '" + w.rule + "'", w.message);
  }
  if (outcome.kind == SyncOutcome::Kind::Applied) {
    using ms = std::chrono::duration<double, std::milli>;
    const auto serving = clock_.steady_now();
    if (on_applied_) on_applied_(outcome);
    spdlog::info(
        "sync applied revision {}: {} (read {:.0f} ms, map {:.0f} ms{}{} with {} users reused, "
        "apply {:.0f} ms, serve {:.0f} ms)",
        outcome.revision->number, outcome.diff.summary(), ms(outcome.timings.read).count(),
        ms(outcome.timings.map).count(), outcome.map_incremental ? " (incremental)" : "",
        outcome.users_streamed ? " and writing users" : "", outcome.users_reused,
        ms(outcome.timings.apply).count(), ms(clock_.steady_now() - serving).count());
    // Served: now the store may copy the revision from its log into the database file.
    checkpoint();
  } else {
    spdlog::debug("sync: no change ({} entries read)", outcome.entries_read);
  }
}

void SyncLoop::watch(std::stop_token stop, DirectorySource* source) {
  auto backoff = std::chrono::milliseconds(500);
  while (!stop.stop_requested()) {
    auto changed = source->wait_for_changes(std::chrono::milliseconds(500), stop);
    if (stop.stop_requested()) break;
    if (!changed) {
      {
        std::lock_guard lock(mutex_);
        status_.degraded = true;
        status_.degraded_reason =
            "source '" + source->name() + "' change stream: " + changed.error().message;
      }
      spdlog::warn("source '{}': change stream broke ({}); retrying in {} ms", source->name(),
                   changed.error().message, backoff.count());
      std::mutex m;
      std::unique_lock lock(m);
      std::condition_variable_any cv;
      cv.wait_for(lock, stop, backoff, [] { return false; });
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    backoff = std::chrono::milliseconds(500);
    if (*changed) trigger();
  }
}

}  // namespace trustgate
