// trustgatectl, the real binary, on a real LDIF file and SQLite store.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/e2e/ctl_fixture.h"

namespace trustgate::testing {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(CtlTest, CheckConfigReportsEveryErrorWithFileLineAndKeyAndExitsNonZero) {
  CtlFixture f;
  f.write_config(R"(
[[rule]]
id = "broken"
group_dn = "cn=X,dc=la,dc=example"
instituions = ["100001"]

[[rule]]
id = "staff"
group_dn = "cn=Y,dc=la,dc=example"
)");
  auto r = f.ctl({"check-config"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  const std::string file = f.config().string();
  // The typo and the duplicate id, each with file, line and key.
  EXPECT_TRUE(contains(r.err, file + ":")) << r.err;
  EXPECT_TRUE(contains(r.err, "instituions")) << r.err;
  EXPECT_TRUE(contains(r.err, "staff")) << r.err;
  EXPECT_TRUE(contains(r.err, "2 error(s)")) << r.err;
  std::ifstream in(f.config());
  std::string line;
  int n = 0, typo_line = 0;
  while (std::getline(in, line)) {
    ++n;
    if (contains(line, "instituions")) typo_line = n;
  }
  EXPECT_TRUE(contains(r.err, file + ":" + std::to_string(typo_line) + ":")) << r.err;
}

TEST(CtlTest, CheckConfigAcceptsAGoodConfig) {
  CtlFixture f;
  auto r = f.ctl({"check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "OK")) << r.out;
}

TEST(CtlTest, PlanShowsUserByUserAndAppliesNothing) {
  CtlFixture f;
  auto plan = f.ctl({"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_TRUE(contains(plan.out, "alice")) << plan.out;
  EXPECT_TRUE(contains(plan.out, "plan only")) << plan.out;
  auto status = f.ctl({"status"});
  EXPECT_EQ(status.exit_code, 1) << status.out;  // still no revision
  EXPECT_TRUE(contains(status.out, "none yet")) << status.out;
}

TEST(CtlTest, SyncOnceAppliesThenReportsNoChange) {
  CtlFixture f;
  auto first = f.ctl({"sync", "--once"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "applied as revision 1")) << first.out;
  auto second = f.ctl({"sync", "--once"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "no change")) << second.out;
  auto status = f.ctl({"--json", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto parsed = Poco::JSON::Parser().parse(status.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(parsed->getValue<int>("revision"), 1);
  EXPECT_EQ(parsed->getValue<int>("users"), 5);
  EXPECT_GT(parsed->getValue<long>("last_sync_success"), 0);
}

// Progress goes to stderr (stdout carries the outcome): from a pipe, no bar, a closing line with
// the count; the second pass expects what the first read.
TEST(CtlTest, SyncReportsWhatItReadAgainstTheLastPassOnStderr) {
  CtlFixture f;
  auto first = f.ctl({"sync", "--once"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // The count is the source's users and groups; the second pass must expect the same.
  std::smatch m;
  const std::regex read(R"(read (\d+) entries in [0-9.]+ s \(\d+/s\))");
  ASSERT_TRUE(std::regex_search(first.err, m, read)) << first.err;
  const std::string count = m[1];
  EXPECT_FALSE(contains(first.err, "expected")) << first.err;  // no earlier pass
  EXPECT_FALSE(contains(first.err, "\r")) << "a bar on a pipe";
  EXPECT_FALSE(contains(first.out, "entries in")) << first.out;
  auto second = f.ctl({"sync", "--once"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.err, "read " + count + " entries in")) << second.err;
  EXPECT_TRUE(contains(second.err, "~" + count + " expected from the last pass")) << second.err;
  // --json: stdout is one document, and no progress at all.
  auto json = f.ctl({"--json", "plan"});
  EXPECT_FALSE(contains(json.err, "entries in")) << json.err;
}

// On a terminal (a pty from script(1)) the closing line is written over the bar's line (the bar
// itself shows only when reading takes longer than a tenth of a second: ProgressViewTest).
TEST(CtlTest, SyncOnATerminalWritesOverTheBarLine) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto r = run_command({"script", "-qec",
                        std::string(TRUSTGATECTL_BIN) + " --config " + f.config().string() +
                            " sync --once 2>&1 >/dev/null",
                        "/dev/null"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "\r\033[Kread ")) << r.out;
  EXPECT_TRUE(contains(r.out, "expected from the last pass")) << r.out;
}

TEST(CtlTest, ExplainNamesThePreconditionsAndThePath) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto allowed = f.ctl({"explain", "alice", "100001"});
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_TRUE(contains(allowed.out, "ALLOWED")) << allowed.out;
  EXPECT_TRUE(contains(allowed.out, "via cluster Primaries")) << allowed.out;
  auto disabled = f.ctl({"explain", "bob", "100003"});
  EXPECT_TRUE(contains(disabled.out, "DENIED (user_disabled)")) << disabled.out;
  auto no_perm = f.ctl({"explain", "eve", "100003"});
  EXPECT_TRUE(contains(no_perm.out, "DENIED (no_login_permission)")) << no_perm.out;
  auto not_assoc = f.ctl({"explain", "carol"});
  EXPECT_TRUE(contains(not_assoc.out, "not associated with any institutions")) << not_assoc.out;
  auto all = f.ctl({"--json", "explain", "dave", "100002"});
  auto parsed = Poco::JSON::Parser().parse(all.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_TRUE(parsed->getValue<bool>("allowed")) << all.out;
}

// Issue 14: `--json explain USER` without a school answered allowed:false with reason
// unknown_institution for a user who may log in to several schools.
TEST(CtlTest, JsonExplainWithoutSchoolGivesADecisionPerAssociatedSchool) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto r = f.ctl({"--json", "explain", "alice"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto parsed = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_FALSE(parsed->has("reason")) << r.out;
  EXPECT_FALSE(parsed->has("allowed")) << r.out;
  EXPECT_TRUE(parsed->getValue<bool>("profile_ok")) << r.out;
  EXPECT_TRUE(parsed->getValue<bool>("permission_ok")) << r.out;
  auto each = parsed->getArray("institutions");
  ASSERT_TRUE(each) << r.out;
  ASSERT_EQ(each->size(), 3u) << r.out;
  for (std::size_t i = 0; i < each->size(); ++i) {
    auto d = each->getObject(i)->getObject("decision");
    EXPECT_TRUE(d->getValue<bool>("allowed")) << r.out;
    EXPECT_EQ(d->getValue<std::string>("reason"), "granted") << r.out;
  }
  EXPECT_EQ(parsed->getArray("can_log_in_to")->size(), 3u) << r.out;
}

TEST(CtlTest, UsersAreNamedByUsernameOrByIdPrefixNeverABareId) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto by_name = f.ctl({"--json", "explain", "alice"});
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  auto parsed = Poco::JSON::Parser().parse(by_name.out).extract<Poco::JSON::Object::Ptr>();
  const std::string id = parsed->getObject("user")->getValue<std::string>("id");
  EXPECT_EQ(f.ctl({"explain", "id:" + id}).exit_code, 0);
  auto bare = f.ctl({"explain", id});
  EXPECT_EQ(bare.exit_code, 1) << bare.out;
  EXPECT_TRUE(contains(bare.err, "unknown user")) << bare.err;
}

// Issue 14: --json printed log lines on stdout before the JSON (spdlog's default logger writes
// to stdout). A malformed entry makes the source log a warning on every read.
TEST(CtlTest, JsonOutputIsOnlyJsonAndLogsGoToStderr) {
  CtlFixture f;
  f.write_ldif(CtlFixture::base_ldif() +
               "\ndn: uid=nameless,ou=people,dc=la,dc=example\nobjectClass: inetOrgPerson\n"
               "cn: Nameless\n");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--json", "plan"},
                                               {"--json", "sync", "--once"},
                                               {"--json", "status"},
                                               {"--json", "explain", "alice"}}) {
    auto r = f.ctl(args);
    SCOPED_TRACE(args[1]);
    EXPECT_NO_THROW(Poco::JSON::Parser().parse(r.out)) << r.out;
    EXPECT_FALSE(contains(r.out, "[warning]")) << r.out;
  }
  auto plan = f.ctl({"--json", "plan"});
  EXPECT_TRUE(contains(plan.err, "skipped")) << plan.err;
}

TEST(CtlTest, UnknownUserOrInstitutionIsAClearMessageAndNonZeroExit) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto user = f.ctl({"explain", "nobody"});
  EXPECT_EQ(user.exit_code, 1);
  EXPECT_TRUE(contains(user.err, "unknown user 'nobody'")) << user.err;
  auto inst = f.ctl({"explain", "alice", "999999"});
  EXPECT_EQ(inst.exit_code, 1);
  EXPECT_TRUE(contains(inst.err, "unknown institution '999999'")) << inst.err;
  auto cmd = f.ctl({"frobnicate"});
  EXPECT_EQ(cmd.exit_code, 2);
}

TEST(CtlTest, ListsUsersInstitutionsAndClustersAsTablesAndJson) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto users = f.ctl({"users"});
  EXPECT_TRUE(contains(users.out, "USERNAME")) << users.out;
  EXPECT_TRUE(contains(users.out, "carol")) << users.out;
  auto browse = f.ctl({"--json", "institutions", "--user=alice"});
  auto arr = Poco::JSON::Parser().parse(browse.out).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(arr->size(), 3u);
  for (std::size_t i = 0; i < arr->size(); ++i) {
    auto o = arr->getObject(i);
    EXPECT_TRUE(o->getValue<bool>("can_log_in")) << o->getValue<std::string>("id");
  }
  auto eve = f.ctl({"--json", "institutions", "--user=eve"});
  auto eve_arr = Poco::JSON::Parser().parse(eve.out).extract<Poco::JSON::Array::Ptr>();
  for (std::size_t i = 0; i < eve_arr->size(); ++i)
    EXPECT_FALSE(eve_arr->getObject(i)->getValue<bool>("can_log_in"));
  auto clusters = f.ctl({"clusters"});
  EXPECT_TRUE(contains(clusters.out, "primaries")) << clusters.out;
  EXPECT_TRUE(contains(clusters.out, "100001,100002")) << clusters.out;
}

TEST(CtlTest, ManualAssociationIsKeptAcrossSyncsAndClusterSchoolsCannotBeRemovedAlone) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto add = f.ctl({"associate", "carol", "--institution=100002", "--by=test"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  // A directory change and a new revision: the manual association stays.
  f.write_ldif(CtlFixture::base_ldif() +
               CtlFixture::user("frank", "00000000-0000-4000-8000-00000000000f"));
  auto sync = f.ctl({"sync", "--once"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  EXPECT_TRUE(contains(sync.out, "applied as revision 2")) << sync.out;
  EXPECT_TRUE(contains(f.ctl({"explain", "carol", "100002"}).out, "ALLOWED"));
  // alice has 100001 only through the Primaries cluster.
  auto refused = f.ctl({"dissociate", "alice", "--institution=100001"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(contains(refused.err, "cluster")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "primaries")) << refused.err;
  // ... and 100003 through a directory group.
  auto group = f.ctl({"dissociate", "alice", "--institution=100003"});
  EXPECT_EQ(group.exit_code, 1);
  EXPECT_TRUE(contains(group.err, "group")) << group.err;
  auto removed = f.ctl({"dissociate", "carol", "--institution=100002"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_TRUE(contains(f.ctl({"explain", "carol", "100002"}).out, "DENIED (not_associated)"));
}

TEST(CtlTest, RemovalBeyondTheThresholdIsRefusedUntilOverridden) {
  CtlFixture f;
  f.write_config("", 1);  // a strict threshold: at most one grant may go
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  // Everyone leaves Staff: four role grants would go.
  f.write_ldif(CtlFixture::base_ldif({"eve"}));
  auto refused = f.ctl({"sync", "--once"});
  EXPECT_EQ(refused.exit_code, 4) << refused.out;
  EXPECT_TRUE(contains(refused.out, "REFUSED")) << refused.out;
  EXPECT_TRUE(contains(f.ctl({"explain", "alice", "100001"}).out, "ALLOWED"));
  auto plan = f.ctl({"plan"});
  EXPECT_EQ(plan.exit_code, 4) << plan.out;
  EXPECT_TRUE(contains(plan.out, "alice")) << plan.out;
  EXPECT_TRUE(contains(plan.out, "would be REFUSED")) << plan.out;
  auto forced = f.ctl({"sync", "--once", "--allow-mass-removal"});
  EXPECT_EQ(forced.exit_code, 0) << forced.out;
  EXPECT_TRUE(contains(forced.out, "applied as revision 2")) << forced.out;
  EXPECT_TRUE(contains(f.ctl({"explain", "alice", "100001"}).out, "DENIED (no_login_permission)"));
}

TEST(CtlTest, AnEmptyDirectoryIsRefused) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  f.write_ldif("");
  auto refused = f.ctl({"sync", "--once"});
  EXPECT_EQ(refused.exit_code, 4) << refused.out;
  EXPECT_TRUE(contains(refused.out, "returned no entries")) << refused.out;
  EXPECT_TRUE(contains(f.ctl({"explain", "alice", "100001"}).out, "ALLOWED"));
}

}  // namespace
}  // namespace trustgate::testing

namespace trustgate::testing {
namespace {

// The example configs under conf/ stay valid: check-config passes with their secrets supplied
// through CREDENTIALS_DIRECTORY, as systemd's LoadCredential= would.
TEST(CtlTest, ExampleConfigsPassCheckConfig) {
  namespace fs = std::filesystem;
  CtlFixture scratch;
  const fs::path creds = scratch.dir() / "credentials";
  fs::create_directories(creds);
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(TRUSTGATE_SOURCE_DIR) / "conf")) {
    if (entry.path().extension() != ".toml") continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      for (const char* key : {"bind_password_file", "secret_file"}) {
        if (line.rfind(key, 0) != 0) continue;
        const auto open = line.find('"'), close = line.rfind('"');
        const std::string name = line.substr(open + 1, close - open - 1);
        if (name.find('/') == std::string::npos)
          std::ofstream(creds / name) << "example-secret-0123456789abcdef\n";
      }
    }
    auto r = run_command({TRUSTGATECTL_BIN, "--config", entry.path().string(), "check-config"},
                         {{"CREDENTIALS_DIRECTORY", creds.string()}});
    EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.err;
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

}  // namespace
}  // namespace trustgate::testing
