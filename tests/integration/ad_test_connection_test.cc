// trustgatectl test-connection on an ad source against a real Samba AD DC, through the real
// binary: every step passes over StartTLS with the OU's exact counts, and the controls step
// reports AD's controls (paging, notification, DirSync, show-deleted; no syncrepl) and that
// uSNChanged polling has what it needs.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/harness/ad_test_directory.h"
#include "tests/harness/daemon_process.h"
#include "tests/harness/process_tools.h"
#include "tests/harness/samba_dc.h"
#include "tests/harness/subprocess.h"

namespace trustgate {
namespace {

namespace fs = std::filesystem;

constexpr char kMapping[] = R"(
[[role]]
id = "staff"
name = "Staff"
permissions = ["mis.login.associated_institutions"]

[[institution]]
id = "100001"
name = "Alder Primary"
mis_url = "https://alder.example/mis/"
)";

Poco::JSON::Object::Ptr step_named(const Poco::JSON::Object::Ptr& source, const std::string& n) {
  auto steps = source->getArray("steps");
  for (unsigned i = 0; i < steps->size(); ++i)
    if (steps->getObject(i)->getValue<std::string>("name") == n) return steps->getObject(i);
  return nullptr;
}

TEST(AdTestConnectionTest, EveryStepPassesAndAdsControlsAreReported) {
  SambaDc& dc = SambaDc::shared();
  const std::string ou = ad_test::scratch_ou(dc, "TestConnection");
  dc.add(ad_test::user_ldif(ou, "tc-ann") + ad_test::user_ldif(ou, "tc-ben") +
         ad_test::user_ldif(ou, "tc-cat") + ad_test::group_ldif(ou, "tc-staff") +
         ad_test::group_ldif(ou, "tc-heads"));

  std::string tmpl = (fs::temp_directory_path() / "tg-adconn-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = tmpl;
  const fs::path pw = dir / "bind.password";
  testing::write_file(pw, std::string(SambaDc::kAdminPassword) + "\n", /*secret=*/true);
  testing::write_file(
      dir / "trustgate.toml",
      testing::daemon_sections(
          {dir / "trustgate.db", "info", 3600, 50, 500, 1.0, testing::free_loopback_port()}) +
          "[[source]]\nname = \"ad\"\ntype = \"ad\"\nurl = " + testing::toml_quoted(dc.ldap_url()) +
          "\nstart_tls = true\nca_file = " + testing::toml_quoted(dc.ca_file()) +
          "\nbind_dn = " + testing::toml_quoted(SambaDc::kAdminDn) +
          "\nbind_password_file = " + testing::toml_quoted(pw.string()) +
          "\n[source.users]\nbase = " + testing::toml_quoted(ou) +
          "\n[source.groups]\nbase = " + testing::toml_quoted(ou) + "\n\n" + kMapping);

  auto r = testing::run_command({TRUSTGATECTL_BIN, "--config", (dir / "trustgate.toml").string(),
                                 "test-connection", "--json"});
  fs::remove_all(dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Poco::JSON::Parser parser;
  auto source =
      parser.parse(r.out).extract<Poco::JSON::Object::Ptr>()->getArray("sources")->getObject(0);
  EXPECT_EQ(source->getValue<std::string>("type"), "ad");
  EXPECT_TRUE(source->getValue<bool>("passed"));
  EXPECT_EQ(step_named(source, "tls")->getObject("facts")->getValue<std::string>("mode"),
            "StartTLS");
  EXPECT_EQ(step_named(source, "users")->getObject("facts")->getValue<int>("entries"), 3);
  EXPECT_EQ(step_named(source, "groups")->getObject("facts")->getValue<int>("entries"), 2);
  auto controls = step_named(source, "controls")->getObject("facts");
  EXPECT_TRUE(controls->getValue<bool>("paging"));
  EXPECT_TRUE(controls->getValue<bool>("notification"));
  EXPECT_TRUE(controls->getValue<bool>("dirsync"));
  EXPECT_TRUE(controls->getValue<bool>("show_deleted"));
  EXPECT_FALSE(controls->getValue<bool>("syncrepl"));
  EXPECT_EQ(controls->getValue<std::string>("sync_mode"), "uSNChanged polling");
  EXPECT_TRUE(controls->getValue<bool>("sync_mode_available"));
  EXPECT_EQ(r.out.find(SambaDc::kAdminPassword), std::string::npos);
}

}  // namespace
}  // namespace trustgate
