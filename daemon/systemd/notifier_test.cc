#include "daemon/systemd/notifier.h"

#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "daemon/systemd/fake_notifier.h"
#include "daemon/systemd/sd_notifier.h"
#include "daemon/systemd/test_notify_socket.h"

namespace trustgate {
namespace {

// Sets (or unsets, for nullopt) an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

using NotifySocket = TestNotifySocket;

TEST(SdNotifierTest, SendsEachStateToNotifySocket) {
  NotifySocket socket;
  ScopedEnv env("NOTIFY_SOCKET", socket.path());
  auto notifier = make_systemd_notifier();

  notifier->status("syncing 2 sources");
  EXPECT_EQ(socket.receive(), "STATUS=syncing 2 sources");
  notifier->ready();
  EXPECT_EQ(socket.receive(), "READY=1");
  notifier->watchdog();
  EXPECT_EQ(socket.receive(), "WATCHDOG=1");
  notifier->stopping();
  EXPECT_EQ(socket.receive(), "STOPPING=1");
}

TEST(SdNotifierTest, ReloadingCarriesMonotonicTimestamp) {
  NotifySocket socket;
  ScopedEnv env("NOTIFY_SOCKET", socket.path());
  SdNotifier notifier;
  notifier.reloading();
  const auto message = socket.receive();
  ASSERT_TRUE(message.has_value());
  EXPECT_TRUE(message->starts_with("RELOADING=1\nMONOTONIC_USEC=")) << *message;
  const std::string usec = message->substr(message->find('=', 12) + 1);
  ASSERT_FALSE(usec.empty());
  EXPECT_GT(std::stoull(usec), 0u);
}

TEST(SdNotifierTest, StatusCannotInjectAnotherAssignment) {
  NotifySocket socket;
  ScopedEnv env("NOTIFY_SOCKET", socket.path());
  SdNotifier notifier;
  notifier.status("ok\nREADY=1\r\tend");
  EXPECT_EQ(socket.receive(), "STATUS=ok READY=1  end");
}

TEST(SdNotifierTest, WithoutNotifySocketNothingIsSent) {
  NotifySocket socket;
  ScopedEnv env("NOTIFY_SOCKET", std::nullopt);
  auto notifier = make_systemd_notifier();
  notifier->ready();
  notifier->status("x");
  notifier->watchdog();
  EXPECT_EQ(socket.receive(std::chrono::milliseconds(200)), std::nullopt);
  EXPECT_EQ(notifier->watchdog_interval(), std::nullopt);
}

TEST(SdNotifierTest, WatchdogIntervalFromEnvironmentForThisProcess) {
  ScopedEnv usec("WATCHDOG_USEC", "30000000");
  ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
  SdNotifier notifier;
  EXPECT_EQ(notifier.watchdog_interval(), std::chrono::microseconds{30'000'000});
}

TEST(SdNotifierTest, WatchdogMeantForAnotherProcessIsIgnored) {
  ScopedEnv usec("WATCHDOG_USEC", "30000000");
  ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
  SdNotifier notifier;
  EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);
}

TEST(SdNotifierTest, NoWatchdogWhenUnset) {
  ScopedEnv usec("WATCHDOG_USEC", std::nullopt);
  ScopedEnv pid("WATCHDOG_PID", std::nullopt);
  SdNotifier notifier;
  EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);
}

TEST(StatusAssignmentTest, KeepsPrintableText) {
  EXPECT_EQ(status_assignment("revision 12 · 3 sources ok"), "STATUS=revision 12 · 3 sources ok");
}

TEST(FakeNotifierTest, RecordsCallsInOrder) {
  FakeNotifier fake(std::chrono::seconds{30});
  fake.status("starting");
  fake.ready();
  fake.watchdog();
  fake.status("serving revision 3");
  EXPECT_EQ(fake.messages(), (std::vector<std::string>{"STATUS=starting", "READY=1", "WATCHDOG=1",
                                                       "STATUS=serving revision 3"}));
  EXPECT_EQ(fake.count("READY=1"), 1u);
  EXPECT_EQ(fake.last_status(), "serving revision 3");
  EXPECT_EQ(fake.watchdog_interval(), std::chrono::microseconds{30'000'000});
}

}  // namespace
}  // namespace trustgate
