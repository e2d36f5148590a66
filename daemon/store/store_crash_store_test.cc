// A process killed (SIGKILL) in the middle of Store::apply() leaves the previous revision
// intact and complete: SQLite's WAL ignores frames of a transaction that never committed.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "daemon/store/store.h"
#include "daemon/store/store_model_compare.h"
#include "daemon/testing/store_test_support.h"
#include "daemon/testing/synthetic_model.h"

namespace trustgate {
namespace {

using store_test::TempDir;

// Bytes the child writes to the pipe.
constexpr char kApplying = 'S';  // right before apply()
constexpr char kApplied = 'D';   // apply() returned success
constexpr char kFailed = 'E';    // open() or apply() failed

// The child: opens the store, announces the apply, applies, announces the end. Never returns.
[[noreturn]] void child_apply(const std::string& path, const AccessModel& model, int out) {
  ManualClock clock;
  auto store = Store::open(path, clock);
  if (!store) {
    (void)!write(out, &kFailed, 1);
    _exit(1);
  }
  ApplyOptions options;
  options.sources = "ad";
  options.summary = "revision 2";
  options.source_states = {{"ad", "state-2"}};
  (void)!write(out, &kApplying, 1);
  auto applied = (*store)->apply(model, options);
  (void)!write(out, applied ? &kApplied : &kFailed, 1);
  _exit(0);
}

std::uintmax_t size_or_zero(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// Reads one byte, waiting at most `timeout`: 0 on timeout, kEof when the child closed the pipe.
constexpr char kEof = -1;
char read_byte(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return 0;
  char c = 0;
  return read(fd, &c, 1) == 1 ? c : kEof;
}

std::string read_all(int fd) {
  std::string out;
  char c;
  while (read(fd, &c, 1) == 1) out += c;
  return out;
}

TEST(StoreCrashTest, KillDuringApplyLeavesThePreviousRevisionIntact) {
  TempDir dir;
  ManualClock clock;
  const AccessModel first = synthetic_model({.users = 300, .institutions = 20, .clusters = 3});
  // Evidence that the child's transaction is writing: uncommitted pages spilled to the WAL.
  constexpr std::uintmax_t kWalInProgress = 1 << 20;
  constexpr auto kDeadline = std::chrono::minutes(3);

  bool killed_mid_apply = false;
  std::size_t users = 200'000;
  for (int attempt = 0; attempt < 3 && !killed_mid_apply; ++attempt, users *= 2) {
    const std::string path = dir.file(fmt::format("crash-{}.db", attempt));
    const std::string wal = path + "-wal";
    {
      auto store = Store::open(path, clock);
      ASSERT_TRUE(store) << store.error().message;
      ApplyOptions options;
      options.sources = "ad";
      options.summary = "revision 1";
      options.source_states = {{"ad", "state-1"}};
      ASSERT_TRUE((*store)->apply(first, options));
    }  // closed before the fork: the child opens its own connection

    const AccessModel big = synthetic_model({.users = users, .institutions = 500, .clusters = 20});
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      child_apply(path, big, fds[1]);
    }
    close(fds[1]);

    ASSERT_EQ(read_byte(fds[0], kDeadline), kApplying) << "the child did not start its apply";
    // Kill as soon as the transaction has spilled pages to the WAL, unless it finished first.
    const auto start = std::chrono::steady_clock::now();
    char early = 0;
    while (size_or_zero(wal) < kWalInProgress && early == 0 &&
           std::chrono::steady_clock::now() - start < kDeadline) {
      early = read_byte(fds[0], std::chrono::milliseconds(1));
    }
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    std::string after = early != 0 && early != kEof ? std::string(1, early) : std::string();
    after += read_all(fds[0]);
    close(fds[0]);
    ASSERT_EQ(after.find(kFailed), std::string::npos) << "the child's apply failed";
    const bool finished = after.find(kApplied) != std::string::npos;
    if (!finished) {
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    }
    const bool uncommitted_frames = size_or_zero(wal) >= kWalInProgress;

    // Whatever happened, the file holds one whole revision: 1 as it was, or 2 complete.
    auto store = Store::open(path, clock);
    ASSERT_TRUE(store) << store.error().message;
    auto loaded = (*store)->load_current();
    ASSERT_TRUE(loaded && *loaded) << (loaded ? "empty store" : loaded.error().message);
    const StoredRevision& current = **loaded;
    if (current.info.number == 2) {
      // The apply committed before the kill: valid, but proves nothing. Retry bigger.
      EXPECT_EQ(first_difference(current.model, big), "");
      EXPECT_EQ((*store)->source_state("ad").value(), std::optional<std::string>("state-2"));
      continue;
    }
    ASSERT_FALSE(finished) << "the child reported success but revision 2 is missing";
    ASSERT_TRUE(uncommitted_frames) << "killed before the transaction wrote anything";
    killed_mid_apply = true;
    std::cout << "killed during the apply of " << users << " users (attempt " << attempt + 1
              << "), WAL " << size_or_zero(wal) << " bytes of uncommitted frames\n";

    EXPECT_EQ(current.info.number, 1);
    EXPECT_EQ(current.info.summary, "revision 1");
    EXPECT_EQ(current.info.users, first.users.size());
    EXPECT_EQ(first_difference(current.model, first), "");
    auto revisions = (*store)->revisions(10);
    ASSERT_TRUE(revisions);
    ASSERT_EQ(revisions->size(), 1u);
    EXPECT_EQ((*revisions)[0].number, 1);
    EXPECT_EQ((*store)->source_state("ad").value(), std::optional<std::string>("state-1"));

    // The store goes on: the next apply is revision 2 and diffs against the intact revision 1.
    AccessModel next = first;
    change_membership(next, 3);
    auto applied = (*store)->apply(next, {});
    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_EQ(applied->number, 2);
    auto reopened = Store::open(path, clock);
    ASSERT_TRUE(reopened);
    auto again = (*reopened)->load_current();
    ASSERT_TRUE(again && *again);
    EXPECT_EQ(first_difference((*again)->model, next), "");
  }
  EXPECT_TRUE(killed_mid_apply) << "no kill landed during an apply, even with " << users / 2
                                << " users";
}

}  // namespace
}  // namespace trustgate
