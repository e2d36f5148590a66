// trustgatectl test-connection against a real slapd, through the real binary: the right
// config passes every step with the directory's counts; a wrong CA, a wrong password, a
// wrong base, a server that is down and a name that does not resolve each fail at their own
// step, named plainly, with exit 3 (and exit 1 for a source that is not configured).
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/harness/daemon_process.h"
#include "tests/harness/ldap_test_directory.h"
#include "tests/harness/process_tools.h"
#include "tests/harness/slapd.h"
#include "tests/harness/subprocess.h"

namespace trustgate {
namespace {

using namespace ldap_test;
namespace fs = std::filesystem;

constexpr int kUsers = 30;
// What the default filters select in directory_ldif(kUsers): the users and cn=No Uid (an
// inetOrgPerson too) under ou=people; staff, heads, posix and all-staff under ou=groups.
constexpr int kUserEntries = kUsers + 1;
constexpr int kGroupEntries = 4;

constexpr char kMapping[] = R"(
[[role]]
id = "staff"
name = "Staff"
permissions = ["mis.login.associated_institutions"]

[[institution]]
id = "100001"
name = "Alder Primary"
mis_url = "https://alder.example/mis/"

[[rule]]
id = "staff"
group_dn = "cn=staff,ou=groups,dc=la,dc=example"
roles = ["staff"]
institutions = ["100001"]
)";

struct SourceSetup {
  std::string name = "campus";
  std::string url;
  bool start_tls = false;
  std::string ca_file;
  std::string bind_dn = kReaderDn;
  std::string password = kReaderPassword;
  std::string users_base = kPeople;
  std::string groups_base = kGroups;
  bool sasl_external = false;  // instead of bind_dn and the password
};

struct CtlRun {
  int exit_code = -1;
  std::string out, err;
  Poco::JSON::Object::Ptr json;  // with --json

  Poco::JSON::Object::Ptr source(std::size_t i = 0) const {
    return json->getArray("sources")->getObject(static_cast<unsigned>(i));
  }
  Poco::JSON::Object::Ptr step(const std::string& name, std::size_t i = 0) const {
    auto steps = source(i)->getArray("steps");
    for (unsigned k = 0; k < steps->size(); ++k)
      if (steps->getObject(k)->getValue<std::string>("name") == name) return steps->getObject(k);
    return nullptr;
  }
  std::vector<std::string> step_names(std::size_t i = 0) const {
    std::vector<std::string> out;
    auto steps = source(i)->getArray("steps");
    for (unsigned k = 0; k < steps->size(); ++k)
      out.push_back(steps->getObject(k)->getValue<std::string>("name"));
    return out;
  }
  std::string failed_step(std::size_t i = 0) const {
    auto v = source(i)->get("failed_step");
    return v.isEmpty() ? std::string() : v.convert<std::string>();
  }
  std::string detail(const std::string& name) const {
    auto s = step(name);
    return s ? s->getValue<std::string>("detail") : "(no step " + name + ")";
  }
};

class TestConnectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SlapdOptions options;
    options.ldif = directory_ldif(kUsers);
    slapd_ = std::make_unique<SlapdServer>(options);
  }
  static void TearDownTestSuite() { slapd_.reset(); }

  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tg-testconn-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path config() const { return dir_ / "trustgate.toml"; }

  void write_config(const std::vector<SourceSetup>& sources, const std::string& extra = "") {
    std::string text = testing::daemon_sections(
        {dir_ / "trustgate.db", "info", 3600, 50, 500, 1.0, testing::free_loopback_port()});
    for (const auto& s : sources) {
      text += "[[source]]\nname = " + testing::toml_quoted(s.name) +
              "\ntype = \"ldap\"\nurl = " + testing::toml_quoted(s.url) +
              "\nstart_tls = " + (s.start_tls ? "true" : "false") + "\ntimeout = 5\n";
      if (s.sasl_external) {
        text += "sasl_external = true\n";
      } else {
        const fs::path pw = dir_ / (s.name + ".password");
        testing::write_file(pw, s.password + "\n", /*secret=*/true);
        text += "bind_dn = " + testing::toml_quoted(s.bind_dn) +
                "\nbind_password_file = " + testing::toml_quoted(pw.string()) + "\n";
      }
      if (!s.ca_file.empty()) text += "ca_file = " + testing::toml_quoted(s.ca_file) + "\n";
      text += "[source.users]\nbase = " + testing::toml_quoted(s.users_base) +
              "\n[source.groups]\nbase = " + testing::toml_quoted(s.groups_base) + "\n\n";
    }
    testing::write_file(config(), text + extra + kMapping);
  }

  CtlRun test_connection(std::vector<std::string> args, bool json = true) const {
    std::vector<std::string> argv{TRUSTGATECTL_BIN, "--config", config().string(),
                                  "test-connection"};
    argv.insert(argv.end(), args.begin(), args.end());
    if (json) argv.push_back("--json");
    auto r = testing::run_command(argv);
    CtlRun run{r.exit_code, r.out, r.err, nullptr};
    if (json && !r.out.empty()) {
      Poco::JSON::Parser parser;
      run.json = parser.parse(r.out).extract<Poco::JSON::Object::Ptr>();
    }
    return run;
  }

  SourceSetup start_tls_source() const {
    SourceSetup s;
    s.url = slapd_->ldap_url();
    s.start_tls = true;
    s.ca_file = slapd_->ca_file();
    return s;
  }

  static std::unique_ptr<SlapdServer> slapd_;
  fs::path dir_;
};
std::unique_ptr<SlapdServer> TestConnectionTest::slapd_;

TEST_F(TestConnectionTest, RightConfigPassesEveryStepWithTheDirectorysCounts) {
  write_config({start_tls_source()});
  const CtlRun run = test_connection({"campus"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(run.json->getValue<bool>("passed"));
  EXPECT_TRUE(run.source()->getValue<bool>("passed"));
  EXPECT_EQ(run.failed_step(), "");
  EXPECT_EQ(run.step_names(), (std::vector<std::string>{"dns", "tcp", "tls", "bind", "base",
                                                        "users", "groups", "controls"}));
  EXPECT_NE(run.detail("dns").find("127.0.0.1 -> 127.0.0.1"), std::string::npos)
      << run.detail("dns");
  auto tls = run.step("tls")->getObject("facts");
  EXPECT_EQ(tls->getValue<std::string>("mode"), "StartTLS");
  EXPECT_TRUE(tls->getValue<std::string>("protocol").starts_with("TLS")) << run.out;
  EXPECT_TRUE(tls->getValue<bool>("verified"));
  EXPECT_EQ(tls->getValue<std::string>("subject"), "CN=localhost");
  EXPECT_FALSE(tls->getValue<std::string>("issuer").empty());
  auto bind = run.step("bind")->getObject("facts");
  EXPECT_EQ(bind->getValue<std::string>("mechanism"), "simple");
  EXPECT_GE(bind->getValue<int>("ssf"), 128) << run.detail("bind");
  EXPECT_EQ(run.step("users")->getObject("facts")->getValue<int>("entries"), kUserEntries);
  EXPECT_EQ(run.step("groups")->getObject("facts")->getValue<int>("entries"), kGroupEntries);
  auto controls = run.step("controls")->getObject("facts");
  EXPECT_TRUE(controls->getValue<bool>("paging"));
  EXPECT_TRUE(controls->getValue<bool>("syncrepl"));  // the harness loads syncprov
  EXPECT_FALSE(controls->getValue<bool>("dirsync"));
  EXPECT_FALSE(controls->getValue<bool>("notification"));
  EXPECT_EQ(controls->getValue<std::string>("sync_mode"), "syncrepl");
  EXPECT_TRUE(controls->getValue<bool>("sync_mode_available"));
  EXPECT_EQ(run.out.find(kReaderPassword), std::string::npos);
  EXPECT_EQ(run.err.find(kReaderPassword), std::string::npos);
}

TEST_F(TestConnectionTest, HumanOutputHasALinePerStepAndNoPassword) {
  write_config({start_tls_source()});
  const CtlRun run = test_connection({}, /*json=*/false);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("source campus (ldap)"), std::string::npos) << run.out;
  for (const char* step : {"dns", "tcp", "tls", "bind", "base", "users", "groups", "controls"})
    EXPECT_NE(run.out.find(std::string("  ok    ") + step), std::string::npos) << step << run.out;
  EXPECT_NE(run.out.find(std::to_string(kUserEntries) + " entries match"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("\npassed\n"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find(kReaderPassword), std::string::npos);
}

TEST_F(TestConnectionTest, LdapsWithTheRightCaPasses) {
  SourceSetup s;
  s.url = slapd_->ldaps_url();
  s.ca_file = slapd_->ca_file();
  write_config({s});
  const CtlRun run = test_connection({});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.step("tls")->getObject("facts")->getValue<std::string>("mode"), "ldaps");
}

TEST_F(TestConnectionTest, LdapiWithSaslExternalChecksTheSocketAndNeedsNoTls) {
  SourceSetup s;
  s.url = slapd_->ldapi_url();
  s.sasl_external = true;
  write_config({s});
  const CtlRun run = test_connection({});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.step_names(), (std::vector<std::string>{"socket", "connect", "bind", "base",
                                                        "users", "groups", "controls"}));
  EXPECT_NE(run.detail("connect").find("ldapi:// is a local socket"), std::string::npos);
  EXPECT_EQ(run.step("bind")->getObject("facts")->getValue<std::string>("mechanism"),
            "SASL EXTERNAL");
  EXPECT_EQ(run.step("users")->getObject("facts")->getValue<int>("entries"), kUserEntries);
}

TEST_F(TestConnectionTest, PlainLdapPassesAndSaysNothingIsEncrypted) {
  SourceSetup s;
  s.url = slapd_->ldap_url();
  write_config({s});
  const CtlRun run = test_connection({});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.step_names(), (std::vector<std::string>{"dns", "tcp", "connect", "bind", "base",
                                                        "users", "groups", "controls"}));
  EXPECT_NE(run.detail("connect").find("in clear"), std::string::npos) << run.detail("connect");
  EXPECT_FALSE(run.step("connect")->getObject("facts")->getValue<bool>("tls"));
  EXPECT_EQ(run.step("bind")->getObject("facts")->getValue<int>("ssf"), 0);
}

TEST_F(TestConnectionTest, WrongCaFailsAtTlsNamedAsAnUnknownCa) {
  for (const bool ldaps : {false, true}) {
    SCOPED_TRACE(ldaps ? "ldaps" : "StartTLS");
    SourceSetup s = start_tls_source();
    if (ldaps) {
      s.url = slapd_->ldaps_url();
      s.start_tls = false;
    }
    s.ca_file = slapd_->wrong_ca_file();
    write_config({s});
    const CtlRun run = test_connection({"campus"});
    EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
    EXPECT_FALSE(run.json->getValue<bool>("passed"));
    EXPECT_EQ(run.failed_step(), "tls");
    EXPECT_EQ(run.step_names(), (std::vector<std::string>{"dns", "tcp", "tls"}));
    EXPECT_NE(run.detail("tls").find("certificate not accepted: unknown CA"), std::string::npos)
        << run.detail("tls");
    auto facts = run.step("tls")->getObject("facts");
    EXPECT_EQ(facts->getValue<std::string>("problem"), "unknown CA");
    EXPECT_EQ(facts->getValue<std::string>("subject"), "CN=localhost");
  }
}

TEST_F(TestConnectionTest, WrongPasswordFailsAtBindAsInvalidCredentials) {
  SourceSetup s = start_tls_source();
  s.password = "not-the-reader-password";
  write_config({s});
  const CtlRun run = test_connection({});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_EQ(run.failed_step(), "bind");
  EXPECT_TRUE(run.detail("bind").starts_with("invalid credentials")) << run.detail("bind");
  EXPECT_EQ(run.out.find(s.password), std::string::npos);
  EXPECT_EQ(run.err.find(s.password), std::string::npos);
}

TEST_F(TestConnectionTest, WrongBaseFailsAtBase) {
  SourceSetup s = start_tls_source();
  s.users_base = "ou=nobody,dc=la,dc=example";
  write_config({s});
  const CtlRun run = test_connection({});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_EQ(run.failed_step(), "base");
  EXPECT_NE(run.detail("base").find("ou=nobody,dc=la,dc=example"), std::string::npos);
  EXPECT_NE(run.detail("base").find("No such object"), std::string::npos) << run.detail("base");
}

TEST_F(TestConnectionTest, ServerDownFailsAtTcpAsConnectionRefused) {
  SourceSetup s;
  s.url = "ldap://127.0.0.1:" + std::to_string(testing::free_loopback_port());
  write_config({s});
  const CtlRun run = test_connection({});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_EQ(run.failed_step(), "tcp");
  EXPECT_NE(run.detail("tcp").find("connection refused"), std::string::npos) << run.detail("tcp");
}

TEST_F(TestConnectionTest, UnresolvableNameFailsAtDns) {
  SourceSetup s;
  s.url = "ldap://directory.trustgate.invalid:389";
  write_config({s});
  const CtlRun run = test_connection({});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_EQ(run.failed_step(), "dns");
  EXPECT_EQ(run.step_names(), std::vector<std::string>{"dns"});
  EXPECT_NE(run.detail("dns").find("cannot resolve directory.trustgate.invalid"), std::string::npos)
      << run.detail("dns");
}

TEST_F(TestConnectionTest, WithoutSourceEverySourceIsTestedAndOneFailureFailsTheRun) {
  SourceSetup good = start_tls_source();
  SourceSetup down;
  down.name = "annex";
  down.url = "ldap://127.0.0.1:" + std::to_string(testing::free_loopback_port());
  write_config({good, down});
  const CtlRun run = test_connection({});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  ASSERT_EQ(run.json->getArray("sources")->size(), 2u);
  EXPECT_TRUE(run.source(0)->getValue<bool>("passed"));
  EXPECT_EQ(run.source(1)->getValue<std::string>("source"), "annex");
  EXPECT_EQ(run.failed_step(1), "tcp");
  // Naming the good one tests only it.
  const CtlRun one = test_connection({"campus"});
  EXPECT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_EQ(one.json->getArray("sources")->size(), 1u);
}

TEST_F(TestConnectionTest, AnUnknownSourceIsNotFound) {
  write_config({start_tls_source()});
  const CtlRun run = test_connection({"nosuch"}, /*json=*/false);
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("no source named 'nosuch'"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("configured: campus"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace trustgate
