// trustgated under a stand-in systemd: the real binary, started with $NOTIFY_SOCKET pointing at
// a test-owned datagram socket, its secrets in a $CREDENTIALS_DIRECTORY, its API on a free
// loopback port. Checks readiness, status, watchdog, reload on SIGHUP and stop on SIGTERM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/systemd/test_notify_socket.h"

extern char** environ;

namespace trustgate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kStartDeadline = 60s;  // generous: the machine is shared
constexpr const char* kSecret = "site-secret-0123456789abcdef";

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& path, const std::string& content, fs::perms perms = {}) {
  std::ofstream(path) << content;
  if (perms != fs::perms{}) fs::permissions(path, perms);
}

// A loopback port nothing listens on right now.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// HTTP status of GET `path` (one attempt); -1 when the connection fails.
int http_get(int port, const std::string& path, const std::string& authorization = "") {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    if (!authorization.empty()) request.set("Authorization", authorization);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    std::string ignored((std::istreambuf_iterator<char>(body)), std::istreambuf_iterator<char>());
    return static_cast<int>(response.getStatus());
  } catch (const std::exception&) {
    return -1;
  }
}

constexpr const char* kDirectoryLdif = R"(dn: uid=alice,ou=people,dc=t,dc=example
objectClass: inetOrgPerson
uid: alice
cn: Alice Adams
sn: Adams
mail: alice@t.example
entryUUID: 6f1c1a52-0000-4000-8000-000000000001

dn: uid=bob,ou=people,dc=t,dc=example
objectClass: inetOrgPerson
uid: bob
cn: Bob Brown
sn: Brown
mail: bob@t.example
entryUUID: 6f1c1a52-0000-4000-8000-000000000002

dn: cn=staff-100001,ou=groups,dc=t,dc=example
objectClass: groupOfNames
cn: staff-100001
member: uid=alice,ou=people,dc=t,dc=example
member: uid=bob,ou=people,dc=t,dc=example
entryUUID: 6f1c1a52-0000-4000-8000-000000000010
)";

std::string config_toml(int port, const std::string& log_level) {
  return fmt::format(R"([daemon]
database = "state/trustgate.db"
log_level = "{}"
sync_interval = 3600

[http]
listen = "127.0.0.1:{}"

[[source]]
name = "test"
type = "ldif"
path = "directory.ldif"

[[role]]
id = "staff"
permissions = ["mis.login.associated_institutions"]

[[institution]]
id = "100001"
name = "Oak Primary"
mis_url = "https://oak.example/handoff"

[[rule]]
id = "staff"
group_dn = "cn=staff-100001,ou=groups,dc=t,dc=example"
roles = ["staff"]
institutions = ["100001"]

[[client]]
id = "site"
kind = "site"
secret_file = "client-site"
)",
                     log_level, port);
}

struct LaunchOptions {
  std::string log_level = "info";
  std::optional<std::chrono::microseconds> watchdog;
  bool with_credentials = true;
  std::string directory_ldif = kDirectoryLdif;
};

// One trustgated process in its own temp folder: config + LDIF there, the client secret only
// in creds/ (passed as $CREDENTIALS_DIRECTORY), stderr to daemon.log. Killed if still running
// at destruction.
class DaemonUnderTest {
 public:
  explicit DaemonUnderTest(TestNotifySocket& notify, LaunchOptions options = {})
      : notify_(notify), port_(free_port()) {
    std::string tmpl = (fs::temp_directory_path() / "tg-systemd-e2e-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    fs::create_directories(dir_ / "creds");
    write_file(dir_ / "creds" / "client-site", std::string(kSecret) + "\n", fs::perms::owner_read);
    write_file(dir_ / "directory.ldif", options.directory_ldif);
    write_config(options.log_level);

    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      const std::string name = entry.substr(0, entry.find('='));
      if (name == "NOTIFY_SOCKET" || name == "WATCHDOG_USEC" || name == "WATCHDOG_PID" ||
          name == "CREDENTIALS_DIRECTORY" || name == "JOURNAL_STREAM" ||
          name == "TRUSTGATE_CONFIG") {
        continue;
      }
      env.push_back(entry);
    }
    env.push_back("NOTIFY_SOCKET=" + notify.path());
    if (options.watchdog) env.push_back(fmt::format("WATCHDOG_USEC={}", options.watchdog->count()));
    if (options.with_credentials) {
      env.push_back("CREDENTIALS_DIRECTORY=" + (dir_ / "creds").string());
    }
    start(env);
  }

  ~DaemonUnderTest() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  fs::path config_path() const { return dir_ / "trustgate.toml"; }
  fs::path database_path() const { return dir_ / "state" / "trustgate.db"; }
  std::string log() const { return read_file(dir_ / "daemon.log"); }
  void write_config(const std::string& log_level) {
    write_file(config_path(), config_toml(port_, log_level));
  }

  void signal(int sig) { ASSERT_EQ(::kill(pid_, sig), 0); }

  // Waits for the process to exit; its wait status, or nullopt at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return status;
      }
      std::this_thread::sleep_for(5ms);
    }
    return std::nullopt;
  }

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }

  // Polls the log until it contains `text` or the deadline passes.
  bool log_contains(const std::string& text, std::chrono::milliseconds deadline = 20s) const {
    const auto end = std::chrono::steady_clock::now() + deadline;
    do {
      if (log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < end);
    return false;
  }

 private:
  void start(const std::vector<std::string>& env) {
    std::vector<char*> envp;
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const std::string bin = TRUSTGATED_BIN;
    const std::string config = config_path().string();
    const std::string log = (dir_ / "daemon.log").string();
    std::vector<char*> argv = {const_cast<char*>(bin.c_str()), const_cast<char*>("--config"),
                               const_cast<char*>(config.c_str()), nullptr};
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::execve(bin.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    ASSERT_GT(pid_, 0) << "fork failed";
  }

  TestNotifySocket& notify_;
  fs::path dir_;
  int port_;
  pid_t pid_ = -1;
};

bool is_status(const std::string& m) { return m.starts_with("STATUS="); }

std::string auth(const std::string& secret) { return "Bearer site:" + secret; }

TEST(SystemdDaemonTest, ReadyArrivesOnlyOnceTheApiListens) {
  TestNotifySocket notify;
  DaemonUnderTest daemon(notify);
  ASSERT_TRUE(notify.wait_for("READY=1", kStartDeadline)) << daemon.log();
  // Not polled: the API must already accept connections when READY=1 is sent.
  EXPECT_EQ(http_get(daemon.port(), "/healthz"), 200) << daemon.log();
  EXPECT_EQ(http_get(daemon.port(), "/v1/clusters", auth(kSecret)), 200) << daemon.log();
}

TEST(SystemdDaemonTest, StatusLinesSummariseTheServedRevision) {
  TestNotifySocket notify;
  DaemonUnderTest daemon(notify);
  const auto status = notify.wait_for(
      [](const std::string& m) { return is_status(m) && m.find("revision") != std::string::npos; },
      kStartDeadline);
  ASSERT_TRUE(status) << daemon.log();
  std::cout << "status: " << *status << '\n';
  EXPECT_NE(status->find("2 users"), std::string::npos) << *status;
  EXPECT_EQ(status->find('\n'), std::string::npos) << "one datagram, one line";
  // Without $WATCHDOG_USEC no keep-alive is sent: by the next status (the daemon's 1 s tick)
  // none has arrived.
  ASSERT_TRUE(notify.wait_for(is_status, kStartDeadline));
  ASSERT_TRUE(notify.wait_for(is_status, kStartDeadline));
  for (const auto& m : notify.received()) EXPECT_NE(m, "WATCHDOG=1");
}

TEST(SystemdDaemonTest, WatchdogKeepAlivesWhenWatchdogUsecIsSet) {
  TestNotifySocket notify;
  DaemonUnderTest daemon(notify, {.watchdog = std::chrono::seconds(20)});
  ASSERT_TRUE(notify.wait_for("READY=1", kStartDeadline)) << daemon.log();
  ASSERT_TRUE(notify.wait_for("WATCHDOG=1", kStartDeadline)) << daemon.log();
  // Keep-alives keep coming while the sync loop is alive.
  ASSERT_TRUE(notify.wait_for("WATCHDOG=1", kStartDeadline)) << daemon.log();
}

// `users` staff all in the rule's group, so that the first sync writes a large revision.
std::string large_directory(int users) {
  std::string people, members;
  for (int i = 0; i < users; ++i) {
    people += fmt::format(
        "dn: uid=u{0},ou=people,dc=t,dc=example\nobjectClass: inetOrgPerson\nuid: u{0}\n"
        "cn: User {0}\nsn: {0}\nentryUUID: 00000000-0000-4000-8000-{0:012}\n\n",
        i);
    members += fmt::format("member: uid=u{},ou=people,dc=t,dc=example\n", i);
  }
  return people +
         "dn: cn=staff-100001,ou=groups,dc=t,dc=example\nobjectClass: groupOfNames\n"
         "cn: staff-100001\n" +
         members;
}

// Regression (issue 13): a streamed revision held the store's lock from its first users to its
// commit, and the main loop's tick waited for that lock to ask whether another process had
// written, so neither STATUS nor WATCHDOG=1 came while a large sync was written. Now the tick
// never waits for the store: its messages keep their pace through the whole first sync.
TEST(SystemdDaemonTest, MainLoopKeepsTickingWhileALargeFirstSyncIsWritten) {
  TestNotifySocket notify;
  DaemonUnderTest daemon(
      notify, {.watchdog = std::chrono::seconds(20), .directory_ldif = large_directory(200'000)});
  // Every message until READY=1, with when it came. From the first status line (the store is
  // open) another process holds SQLite's write lock for 4 s, so the daemon's revision waits for
  // it (the store's busy timeout is 5 s) and the write takes long on any machine.
  using Clock = std::chrono::steady_clock;
  std::vector<std::pair<Clock::time_point, std::string>> got;
  std::jthread other_writer;
  const auto deadline = Clock::now() + 10min;
  while (Clock::now() < deadline) {
    auto m = notify.receive(30s);
    if (!m) continue;
    got.emplace_back(Clock::now(), *m);
    if (*m == "READY=1") break;
    if (is_status(*m) && !other_writer.joinable()) {
      other_writer = std::jthread([path = daemon.database_path()] {
        SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
        db.exec("BEGIN IMMEDIATE");
        std::this_thread::sleep_for(4s);
        db.exec("ROLLBACK");
      });
    }
  }
  ASSERT_FALSE(got.empty());
  ASSERT_EQ(got.back().second, "READY=1") << daemon.log();
  // The first sync ran from the first status line to READY=1. The daemon ticks every second;
  // with the store's lock held it fell silent for the whole write (over 4 s here).
  std::optional<Clock::time_point> first;
  for (const auto& [at, m] : got) {
    if (is_status(m) && !first) first = at;
  }
  ASSERT_TRUE(first);
  const auto sync = got.back().first - *first;
  // The longest silence of `kind` messages between the first status line and READY=1.
  const auto longest_silence = [&](const std::function<bool(const std::string&)>& kind) {
    auto longest = Clock::duration::zero();
    Clock::time_point previous = *first;
    for (const auto& [at, m] : got) {
      if (at < *first || !(kind(m) || m == "READY=1")) continue;
      longest = std::max(longest, at - previous);
      previous = at;
    }
    return longest;
  };
  const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); };
  // A tick is late by more than 2.5 s only on a machine far too loaded to run these tests.
  const auto allowed = std::max<Clock::duration>(sync / 3, 2500ms);
  const auto status_gap = longest_silence(is_status);
  EXPECT_LT(status_gap, allowed) << "no STATUS for " << ms(status_gap).count() << " ms of a "
                                 << ms(sync).count() << " ms first sync";
  const auto watchdog_gap = longest_silence([](const std::string& m) { return m == "WATCHDOG=1"; });
  EXPECT_LT(watchdog_gap, allowed) << "no WATCHDOG=1 for " << ms(watchdog_gap).count()
                                   << " ms of a " << ms(sync).count() << " ms first sync";
}

TEST(SystemdDaemonTest, SighupWithGoodConfigChangesLogLevel) {
  TestNotifySocket notify;
  DaemonUnderTest daemon(notify, {.log_level = "warn"});
  ASSERT_TRUE(notify.wait_for("READY=1", kStartDeadline)) << daemon.log();
  // At warn the start-up's info lines are not logged.
  EXPECT_EQ(daemon.log().find("API listening"), std::string::npos) << daemon.log();

  daemon.write_config("info");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(notify.wait_for([](const std::string& m) { return m.starts_with("RELOADING=1"); },
                              kStartDeadline))
      << daemon.log();
  ASSERT_TRUE(notify.wait_for("READY=1", kStartDeadline)) << daemon.log();
  // Logged at info after the new level is set: visible only if the level changed.
  EXPECT_TRUE(daemon.log_contains("configuration reloaded")) << daemon.log();
  EXPECT_EQ(http_get(daemon.port(), "/v1/clusters", auth(kSecret)), 200) << daemon.log();
}

TEST(SystemdDaemonTest, SighupWithBrokenConfigIsRefusedAndOldConfigKeepsServing) {
  TestNotifySocket notify;
  DaemonUnderTest daemon(notify);
  ASSERT_TRUE(notify.wait_for("READY=1", kStartDeadline)) << daemon.log();

  write_file(daemon.config_path(), "[daemon\nlog_level = \"debug\"\n");  // TOML syntax error
  daemon.signal(SIGHUP);
  ASSERT_TRUE(notify.wait_for([](const std::string& m) { return m.starts_with("RELOADING=1"); },
                              kStartDeadline))
      << daemon.log();
  ASSERT_TRUE(notify.wait_for("READY=1", kStartDeadline)) << daemon.log();
  EXPECT_TRUE(daemon.log_contains("reload refused")) << daemon.log();
  EXPECT_TRUE(daemon.running());
  EXPECT_EQ(http_get(daemon.port(), "/healthz"), 200) << daemon.log();
  EXPECT_EQ(http_get(daemon.port(), "/v1/clusters", auth(kSecret)), 200) << daemon.log();
}

TEST(SystemdDaemonTest, SigtermStopsPromptlyAndCleanly) {
  TestNotifySocket notify;
  DaemonUnderTest daemon(notify);
  ASSERT_TRUE(notify.wait_for("READY=1", kStartDeadline)) << daemon.log();

  const auto start = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  const auto status = daemon.wait_exit(30s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  ASSERT_TRUE(status) << "still running 30 s after SIGTERM\n" << daemon.log();
  std::cout << "stopped " << took.count() << " ms after SIGTERM (design: within a second)\n";
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status;
  EXPECT_TRUE(notify.wait_for("STOPPING=1", 5s));
}

TEST(SystemdDaemonTest, SecretsAreReadFromCredentialsDirectory) {
  TestNotifySocket notify;
  DaemonUnderTest daemon(notify);
  ASSERT_TRUE(notify.wait_for("READY=1", kStartDeadline)) << daemon.log();
  EXPECT_EQ(http_get(daemon.port(), "/v1/clusters", auth(kSecret)), 200) << daemon.log();
  EXPECT_EQ(http_get(daemon.port(), "/v1/clusters", auth("wrong-secret")), 401);
}

TEST(SystemdDaemonTest, WithoutCredentialsDirectoryTheSecretIsNotFoundAndStartFails) {
  TestNotifySocket notify;
  DaemonUnderTest daemon(notify, {.with_credentials = false});
  const auto status = daemon.wait_exit(kStartDeadline);
  ASSERT_TRUE(status) << daemon.log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0);
  EXPECT_NE(daemon.log().find("client-site"), std::string::npos) << daemon.log();
  while (notify.receive(std::chrono::milliseconds(100))) {
  }
  for (const auto& m : notify.received()) EXPECT_NE(m, "READY=1");
}

}  // namespace
}  // namespace trustgate
