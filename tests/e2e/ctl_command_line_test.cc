// trustgatectl's command line and exit codes, on the real binary: every verb's --help, unknown
// options and stray arguments refused, --version, and the exit-code table of trustgatectl(8).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "tests/e2e/ctl_fixture.h"

namespace trustgate::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Args = std::vector<std::string>;

// Every verb, with the arguments it needs to get past its parsing.
const std::vector<Args>& every_verb() {
  static const std::vector<Args> verbs = {
      {"check-config"},
      {"plan"},
      {"sync", "--once"},
      {"status"},
      {"explain", "alice"},
      {"users"},
      {"institutions"},
      {"clusters"},
      {"associate", "carol", "--institution=100002"},
      {"dissociate", "carol", "--institution=100002"},
      {"audit"},
      {"audit", "verify"},
      {"history"},
      {"show", "1"},
      {"test-connection", "test"},
  };
  return verbs;
}

std::string name_of(const Args& verb) {
  return verb[0] == "audit" && verb.size() > 1 ? "audit verify" : verb[0];
}

Args with(Args args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Replaces `from` with `to` in the fixture's config file.
void edit_config(const CtlFixture& f, const std::string& from, const std::string& to) {
  std::stringstream text;
  text << std::ifstream(f.config()).rdbuf();
  std::string config = text.str();
  const auto at = config.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  config.replace(at, from.size(), to);
  std::ofstream(f.config()) << config;
}

TEST(CtlCommandLineTest, GlobalHelpListsTheVerbsAndTheExitCodes) {
  CtlFixture f;
  auto r = f.ctl({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const Args& verb : every_verb()) EXPECT_THAT(r.out, HasSubstr("  " + verb[0] + " "));
  EXPECT_THAT(r.out, HasSubstr("4  a sync refused by the safety checks"));
}

TEST(CtlCommandLineTest, EveryVerbPrintsItsOwnUsageForHelp) {
  CtlFixture f;
  for (const Args& verb : every_verb()) {
    const std::string name = name_of(verb);
    SCOPED_TRACE(name);
    auto r = f.ctl(with(verb, {"--help"}));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Usage: trustgatectl " + name + " ")) << r.out;
    EXPECT_THAT(r.out, Not(HasSubstr("  check-config "))) << "the global usage";
    EXPECT_EQ(r.err, "");
  }
  EXPECT_THAT(f.ctl({"sync", "--help"}).out, HasSubstr("--allow-mass-removal"));
  EXPECT_THAT(f.ctl({"explain", "-h"}).out, HasSubstr("USER"));
}

TEST(CtlCommandLineTest, EveryVerbRefusesAnUnknownOptionNamingIt) {
  CtlFixture f;
  for (const Args& verb : every_verb()) {
    SCOPED_TRACE(name_of(verb));
    auto r = f.ctl(with(verb, {"--bogus"}));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("--bogus"));
    EXPECT_THAT(r.err, Not(HasSubstr("  check-config "))) << "the global usage";
  }
}

TEST(CtlCommandLineTest, EveryVerbRefusesAStrayArgumentNamingIt) {
  CtlFixture f;
  for (const Args& verb : every_verb()) {
    SCOPED_TRACE(name_of(verb));
    // explain takes an optional INSTITUTION: a stray word comes after it.
    auto r = f.ctl(verb[0] == "explain" ? with(verb, {"100001", "stray"}) : with(verb, {"stray"}));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("stray"));
  }
}

// Issue 22: `users aisha` and `status --bogus` ran silently.
TEST(CtlCommandLineTest, UsersWithAStrayNameAndStatusWithAnUnknownFlagAreRefused) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto users = f.ctl({"users", "aisha"});
  EXPECT_EQ(users.exit_code, 2);
  EXPECT_THAT(users.err, HasSubstr("aisha"));
  EXPECT_EQ(users.out, "");
  auto status = f.ctl({"status", "--bogus"});
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_THAT(status.err, HasSubstr("--bogus"));
  EXPECT_EQ(status.out, "");
}

// Issue 22: `sync --once --allow-mass-removals` (a typo) ran a normal sync.
TEST(CtlCommandLineTest, AMisspelledSyncFlagIsRefusedAndNothingIsApplied) {
  CtlFixture f;
  auto r = f.ctl({"sync", "--once", "--allow-mass-removals"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.err, HasSubstr("--allow-mass-removals"));
  auto status = f.ctl({"status"});
  EXPECT_EQ(status.exit_code, 1) << status.out;
  EXPECT_THAT(status.out, HasSubstr("none yet"));
}

TEST(CtlCommandLineTest, AnUnknownVerbOrNoVerbIsAUsageError) {
  CtlFixture f;
  auto unknown = f.ctl({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown verb 'frobnicate'"));
  auto none = f.ctl({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("no verb"));
  auto option = f.ctl({"--bogus", "status"});
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_THAT(option.err, HasSubstr("--bogus"));
}

// Issue 22: --version was refused.
TEST(CtlCommandLineTest, VersionPrintsTheVersion) {
  auto r = run_command({TRUSTGATECTL_BIN, "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("trustgatectl [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << r.out;
}

// Issue 22: `institutions --user aisha.khan` answered "unknown user ''".
TEST(CtlCommandLineTest, UserOptionTakesItsValueAfterASpaceOrAnEqualsSign) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto spaced = f.ctl({"institutions", "--user", "eve"});
  auto joined = f.ctl({"institutions", "--user=eve"});
  ASSERT_EQ(spaced.exit_code, 0) << spaced.err;
  EXPECT_THAT(spaced.out, HasSubstr("CAN LOG IN"));
  EXPECT_EQ(spaced.out, joined.out);
  auto unknown = f.ctl({"institutions", "--user", "aisha.khan"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("unknown user 'aisha.khan'"));
  auto audit = f.ctl({"audit", "--user", "alice", "--limit", "5"});
  EXPECT_EQ(audit.exit_code, 0) << audit.err;
}

// Issue 22: `audit --limit=abc` named the wrong thing.
TEST(CtlCommandLineTest, AuditLimitThatIsNotANumberNamesLimitAndWhatItWants) {
  CtlFixture f;
  auto r = f.ctl({"audit", "--limit=abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--limit: needs a number"));
  EXPECT_THAT(r.err, HasSubstr("'abc'"));
  auto since = f.ctl({"audit", "--since", "yesterday"});
  EXPECT_EQ(since.exit_code, 2);
  EXPECT_THAT(since.err, HasSubstr("--since: needs a number (unix seconds)"));
  auto verify = f.ctl({"audit", "verify", "--limit=3"});
  EXPECT_EQ(verify.exit_code, 2);
  EXPECT_THAT(verify.err, HasSubstr("--limit"));
}

TEST(CtlCommandLineTest, GlobalOptionsMayFollowTheVerb) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto r = f.ctl({"explain", "alice", "100001", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto parsed = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_TRUE(parsed->getValue<bool>("allowed"));
}

TEST(CtlCommandLineTest, VerbsWithoutJsonOutputRefuseJson) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto r = f.ctl({"--json", "associate", "carol", "--institution=100002"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--json"));
  EXPECT_THAT(f.ctl({"explain", "carol", "100002"}).out, HasSubstr("DENIED")) << "not applied";
}

TEST(CtlCommandLineTest, AssociateNeedsExactlyOneTarget) {
  CtlFixture f;
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto none = f.ctl({"associate", "carol"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("--institution"));
  auto two = f.ctl({"associate", "carol", "--all", "--cluster", "primaries"});
  EXPECT_EQ(two.exit_code, 2);
  auto spaced = f.ctl({"associate", "carol", "--cluster", "primaries", "--by", "test"});
  EXPECT_EQ(spaced.exit_code, 0) << spaced.err;
  EXPECT_THAT(f.ctl({"explain", "carol", "100001"}).out, HasSubstr("ALLOWED"));
}

// The exit-code table of trustgatectl(8), one code at a time.

TEST(CtlExitCodeTest, ZeroForDoneAndAllowed) {
  CtlFixture f;
  EXPECT_EQ(f.ctl({"check-config"}).exit_code, 0);
  EXPECT_EQ(f.ctl({"plan"}).exit_code, 0);
  EXPECT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  for (const Args& args : std::vector<Args>{{"status"},
                                            {"explain", "alice", "100001"},
                                            {"--json", "explain", "alice", "100001"},
                                            {"explain", "alice"},
                                            {"users"},
                                            {"institutions", "--user", "alice"},
                                            {"clusters"},
                                            {"audit"},
                                            {"audit", "verify"},
                                            {"history"},
                                            {"show", "1"}}) {
    auto r = f.ctl(args);
    EXPECT_EQ(r.exit_code, 0) << args.back() << ": " << r.err;
  }
}

// Issue 22: `explain` of a denied user exited 0.
TEST(CtlExitCodeTest, OneForDeniedOrNotFound) {
  CtlFixture f;
  EXPECT_EQ(f.ctl({"status"}).exit_code, 1) << "no revision yet";
  EXPECT_EQ(f.ctl({"users"}).exit_code, 1) << "no revision yet";
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  auto denied = f.ctl({"explain", "bob", "100003"});
  EXPECT_EQ(denied.exit_code, 1) << denied.out;
  EXPECT_THAT(denied.out, HasSubstr("DENIED (user_disabled)"));
  auto json = f.ctl({"--json", "explain", "eve", "100003"});
  EXPECT_EQ(json.exit_code, 1) << json.out;
  EXPECT_FALSE(
      Poco::JSON::Parser().parse(json.out).extract<Poco::JSON::Object::Ptr>()->getValue<bool>(
          "allowed"));
  EXPECT_EQ(f.ctl({"explain", "bob"}).exit_code, 1) << "may log in nowhere";
  EXPECT_EQ(f.ctl({"--json", "explain", "carol"}).exit_code, 1) << "may log in nowhere";
  EXPECT_EQ(f.ctl({"explain", "nobody"}).exit_code, 1);
  EXPECT_EQ(f.ctl({"institutions", "--user=nobody"}).exit_code, 1);
  EXPECT_EQ(f.ctl({"associate", "carol", "--institution=999999"}).exit_code, 1);
  EXPECT_EQ(f.ctl({"dissociate", "alice", "--institution=100001"}).exit_code, 1);
  EXPECT_EQ(f.ctl({"show", "99"}).exit_code, 1);
}

// Issue 22: a config error exited 2 from one verb and 3 from another.
TEST(CtlExitCodeTest, TwoForAConfigErrorFromEveryVerb) {
  CtlFixture f;
  f.write_config("\n[[rule]]\nid = \"broken\"\ngroup_dn = \"cn=X\"\ninstituions = [\"100001\"]\n");
  for (const Args& verb : every_verb()) {
    SCOPED_TRACE(name_of(verb));
    auto r = f.ctl(verb);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("instituions"));
  }
  auto json = f.ctl({"--json", "status"});
  EXPECT_EQ(json.exit_code, 2);
}

TEST(CtlExitCodeTest, ThreeWhenTheStoreCannotBeOpened) {
  CtlFixture f;
  // The store's folder would be a regular file.
  edit_config(f, "database = \"state/trustgate.db\"", "database = \"directory.ldif/t.db\"");
  for (const Args& verb : every_verb()) {
    if (verb[0] == "check-config" || verb[0] == "test-connection") continue;  // no store
    SCOPED_TRACE(name_of(verb));
    auto r = f.ctl(verb);
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("directory.ldif/t"));
  }
}

TEST(CtlExitCodeTest, ThreeWhenADirectorySourceCannotBeRead) {
  CtlFixture f;
  std::filesystem::remove(f.dir() / "directory.ldif");
  auto r = f.ctl({"plan"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("nothing applied"));
}

// Issue 22: `plan` exited 0 when the sync it showed would be refused.
TEST(CtlExitCodeTest, FourForASyncTheSafetyChecksRefuse) {
  CtlFixture f;
  f.write_config("", 1);
  ASSERT_EQ(f.ctl({"sync", "--once"}).exit_code, 0);
  f.write_ldif(CtlFixture::base_ldif({"eve"}));  // four role grants would go
  auto plan = f.ctl({"plan"});
  EXPECT_EQ(plan.exit_code, 4) << plan.out;
  EXPECT_THAT(plan.out, HasSubstr("would be REFUSED"));
  auto json_plan = f.ctl({"--json", "plan"});
  EXPECT_EQ(json_plan.exit_code, 4) << json_plan.out;
  auto sync = f.ctl({"sync", "--once"});
  EXPECT_EQ(sync.exit_code, 4) << sync.out;
  EXPECT_THAT(sync.out, HasSubstr("REFUSED"));
  EXPECT_EQ(f.ctl({"sync", "--once", "--allow-mass-removal"}).exit_code, 0);
  EXPECT_EQ(f.ctl({"plan"}).exit_code, 0) << "nothing left to refuse";
}

// Issue 22: check-config said OK for a plain-HTTP listen address the daemon then refuses.
TEST(CtlCheckConfigTest, PlainHttpOffLoopbackIsAnErrorAtTheListenLine) {
  CtlFixture f;
  edit_config(f, "[safety]", "[http]\nlisten = \"0.0.0.0:8470\"\n\n[safety]");
  auto r = f.ctl({"check-config"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.err, HasSubstr(f.config().string() + ":5: http.listen: refusing plain HTTP"));
  EXPECT_THAT(r.out, Not(HasSubstr("OK")));
  edit_config(f, "0.0.0.0:8470", "127.0.0.1:8470");
  EXPECT_EQ(f.ctl({"check-config"}).exit_code, 0);
}

// Issue 22: `check-config --json` was ignored.
TEST(CtlCheckConfigTest, JsonReportsTheCountsOrEveryIssue) {
  CtlFixture f;
  auto ok = f.ctl({"--json", "check-config"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto good = Poco::JSON::Parser().parse(ok.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_TRUE(good->getValue<bool>("ok"));
  EXPECT_EQ(good->getArray("issues")->size(), 0u);
  EXPECT_EQ(good->getObject("counts")->getValue<int>("institutions"), 3);

  f.write_config("\n[[rule]]\nid = \"staff\"\ngroup_dn = \"cn=Y\"\nroles = [\"nope\"]\n");
  auto bad = f.ctl({"--json", "check-config"});
  EXPECT_EQ(bad.exit_code, 2);
  auto report = Poco::JSON::Parser().parse(bad.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_FALSE(report->getValue<bool>("ok"));
  EXPECT_FALSE(report->has("counts"));
  auto issues = report->getArray("issues");
  ASSERT_GE(issues->size(), 2u) << bad.out;  // the duplicate id and the unknown role
  for (std::size_t i = 0; i < issues->size(); ++i) {
    auto issue = issues->getObject(i);
    EXPECT_EQ(issue->getValue<std::string>("file"), f.config().string());
    EXPECT_GT(issue->getValue<int>("line"), 0);
    EXPECT_FALSE(issue->getValue<std::string>("key").empty());
  }
}

}  // namespace
}  // namespace trustgate::testing
