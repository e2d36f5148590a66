#include "common/private_files.h"
#include "daemon/config/config_loader.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace trustgate {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// 1-based line of the first occurrence of `needle` in `text`; fails the test when absent.
int line_of(std::string_view text, std::string_view needle) {
  const std::size_t at = text.find(needle);
  EXPECT_NE(at, std::string_view::npos) << needle;
  if (at == std::string_view::npos) return -1;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

std::string describe(const ConfigLoad& load) {
  std::string out;
  for (const ConfigIssue& issue : load.issues) out += format_issue(issue) + "\n";
  return out;
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           fmt::format("trustgate-config-{}-{}", info->name(), static_cast<long>(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    unsetenv("CREDENTIALS_DIRECTORY");
  }
  void TearDown() override {
    unsetenv("CREDENTIALS_DIRECTORY");
    fs::remove_all(dir_);
  }

  // Writes `text` to dir_/relative (creating folders) and returns the full path.
  std::string write(const std::string& relative, std::string_view text) {
    const fs::path p = dir_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  // A secret file: owner-only, as read_secret() requires.
  std::string write_secret(const std::string& relative, std::string_view text) {
    const std::string p = write(relative, text);
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
    return p;
  }

  std::string path(const std::string& relative) const { return (dir_ / relative).string(); }

  // The only issue with `key`; fails the test when there is not exactly one.
  static ConfigIssue issue_at(const ConfigLoad& load, std::string_view key) {
    std::vector<ConfigIssue> found;
    for (const ConfigIssue& issue : load.issues) {
      if (issue.key == key) found.push_back(issue);
    }
    EXPECT_EQ(found.size(), 1u) << "key " << key << " in:\n" << describe(load);
    return found.empty() ? ConfigIssue{} : found.front();
  }

  // Expects exactly one issue at `key`, in `file` at `line`, whose message contains `message`.
  static void expect_issue(const ConfigLoad& load, const std::string& file, int line,
                           std::string_view key, std::string_view message) {
    const ConfigIssue issue = issue_at(load, key);
    EXPECT_EQ(issue.file, file) << key;
    EXPECT_EQ(issue.line, line) << key;
    EXPECT_THAT(issue.message, HasSubstr(std::string(message))) << key;
  }

  fs::path dir_;
};

constexpr std::string_view kFullConfig = R"toml([daemon]
database = "state/trustgate.db"
log_level = "debug"
sync_interval = 120
batch_millis = 50

[safety]
max_grant_removals = 100
max_grant_removal_share = 0.5

[http]
listen = "0.0.0.0:9000"
tls_cert = "tls/cert.pem"
tls_key = "tls/key.pem"
tls_client_ca = "/etc/trustgate/ca.pem"
require_client_cert = true
max_body_bytes = 1024
max_connections = 16
idle_timeout = 5
request_timeout = 3
threads = 2
max_connections_per_client = 1

[handoff]
ttl_seconds = 60

[[source]]
name = "corp"
type = "ad"
url = "ldaps://dc1.corp.example ldaps://dc2.corp.example"
bind_dn = "CN=svc-trustgate,OU=Service,DC=corp,DC=example"
bind_password_file = "secrets/ad.pw"
ca_file = "tls/ad-ca.pem"
page_size = 1000
timeout = 15
incremental = false
reconcile_interval = 7200
[source.users]
base = "OU=Staff,DC=corp,DC=example"
email_attr = "userPrincipalName"
[source.groups]
base = "OU=Groups,DC=corp,DC=example"

[[source]]
name = "openldap"
type = "ldap"
url = "ldap://ldap.example"
start_tls = true
sasl_external = true
tls_verify = false
[source.users]
base = "ou=people,dc=example"
disabled_attr = "pwdAccountLockedTime"
disabled_values = ["000001010000Z"]
[source.groups]
base = "ou=groups,dc=example"
member_attrs = ["member"]

[[source]]
name = "demo"
type = "ldif"
path = "directory.ldif"

[[permission]]
id = "mis.reports.view"
name = "View reports"

[[role]]
id = "teacher"
name = "Teacher"
permissions = ["mis.login.associated_institutions", "mis.reports.view"]

[[role]]
id = "it-admin"
permissions = ["mis.login.associated_institutions"]

[[institution]]
id = "100001"
name = "Oak Primary"
mis_url = "https://oak.mis.example"
skip_second_factor = "always"

[[institution]]
id = "100002"
name = "Elm Primary"
mis_url = "https://elm.mis.example"

[[cluster]]
id = "primaries"
name = "Primaries"
institutions = ["100001", "100002"]

[[rule]]
id = "staff-by-school"
group_pattern = "^CN=Staff-(\\d+),OU=Groups,DC=corp,DC=example$"
source = "corp"
roles = ["teacher"]
institutions = ["$1"]

[[rule]]
id = "primary-heads"
group_dn = "CN=Primary Heads,OU=Groups,DC=corp,DC=example"
roles = ["teacher"]
clusters = ["primaries"]

[[rule]]
id = "it"
group_id = "5f1c6a3e-0000-4000-8000-000000000001"
roles = ["it-admin"]
all_institutions = true

[[institution_rule]]
id = "schools"
group_pattern = "^CN=School-(\\d+),OU=Schools,DC=corp,DC=example$"
mis_url = "https://$1.mis.example"
skip_second_factor = "always"

[[client]]
id = "mat-site"
kind = "site"
secret_file = "secrets/mat-site.secret"

[[client]]
id = "oak"
kind = "school"
institution = "100001"
secret_file = "secrets/oak.secret"
)toml";

TEST_F(ConfigTest, FullValidConfigParsesIntoTheExpectedStructs) {
  write("secrets/ad.pw", "pw\n");
  write("secrets/mat-site.secret", "s1\n");
  write("secrets/oak.secret", "s2\n");
  write("tls/key.pem", "key\n");
  const std::string main = write("trustgate.toml", kFullConfig);

  const ConfigLoad load = load_config(main);
  ASSERT_TRUE(load.issues.empty()) << describe(load);
  ASSERT_TRUE(load.config.has_value());
  const Config& c = *load.config;

  EXPECT_EQ(c.path, main);
  EXPECT_EQ(c.database, path("state/trustgate.db"));
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.sync_interval_seconds, 120);
  EXPECT_EQ(c.batch_millis, 50);
  EXPECT_EQ(c.safety.max_grant_removals, 100u);
  EXPECT_DOUBLE_EQ(c.safety.max_grant_removal_share, 0.5);
  EXPECT_EQ(c.http.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.http.tls_cert_file, path("tls/cert.pem"));
  EXPECT_EQ(c.http.tls_key_file, path("tls/key.pem"));
  EXPECT_EQ(c.http.tls_client_ca_file, "/etc/trustgate/ca.pem");
  EXPECT_TRUE(c.http.require_client_cert);
  EXPECT_EQ(c.http.max_body_bytes, 1024u);
  EXPECT_EQ(c.http.max_connections, 16);
  EXPECT_EQ(c.http.idle_timeout_seconds, 5);
  EXPECT_EQ(c.http.request_timeout_seconds, 3);
  EXPECT_EQ(c.http.threads, 2);
  EXPECT_EQ(c.http.max_connections_per_client, 1);
  EXPECT_EQ(c.handoff.ttl_seconds, 60);

  ASSERT_EQ(c.sources.size(), 3u);
  const SourceConfig& ad = c.sources[0];
  EXPECT_EQ(ad.name, "corp");
  EXPECT_EQ(ad.type, "ad");
  EXPECT_EQ(ad.config_file, main);
  EXPECT_EQ(ad.url, "ldaps://dc1.corp.example ldaps://dc2.corp.example");
  EXPECT_EQ(ad.bind_dn, "CN=svc-trustgate,OU=Service,DC=corp,DC=example");
  EXPECT_EQ(ad.bind_password_file, path("secrets/ad.pw"));
  EXPECT_EQ(ad.ca_file, path("tls/ad-ca.pem"));
  EXPECT_TRUE(ad.tls_verify);
  EXPECT_EQ(ad.page_size, 1000);
  EXPECT_EQ(ad.timeout_seconds, 15);
  EXPECT_FALSE(ad.incremental);
  EXPECT_EQ(ad.reconcile_seconds, 7200);
  // AD defaults, with the one override given.
  EXPECT_EQ(ad.users.base, "OU=Staff,DC=corp,DC=example");
  EXPECT_EQ(ad.users.filter, "(&(objectCategory=person)(objectClass=user))");
  EXPECT_EQ(ad.users.id_attr, "objectGUID");
  EXPECT_EQ(ad.users.username_attr, "sAMAccountName");
  EXPECT_EQ(ad.users.display_name_attr, "displayName");
  EXPECT_EQ(ad.users.email_attr, "userPrincipalName");
  EXPECT_EQ(ad.groups.base, "OU=Groups,DC=corp,DC=example");
  EXPECT_EQ(ad.groups.filter, kDefaultGroupFilter);
  EXPECT_EQ(ad.groups.id_attr, "objectGUID");
  EXPECT_EQ(ad.groups.member_attrs, std::vector<std::string>{"member"});

  const SourceConfig& ldap = c.sources[1];
  EXPECT_EQ(ldap.type, "ldap");
  EXPECT_TRUE(ldap.start_tls);
  EXPECT_TRUE(ldap.sasl_external);
  EXPECT_FALSE(ldap.tls_verify);
  EXPECT_TRUE(ldap.incremental);
  EXPECT_EQ(ldap.page_size, 500);
  // LDAP defaults from config.h, with overrides.
  EXPECT_EQ(ldap.users.id_attr, "entryUUID");
  EXPECT_EQ(ldap.users.username_attr, "uid");
  EXPECT_EQ(ldap.users.filter, "(objectClass=inetOrgPerson)");
  EXPECT_EQ(ldap.users.disabled_attr, "pwdAccountLockedTime");
  EXPECT_EQ(ldap.users.disabled_values, std::vector<std::string>{"000001010000Z"});
  EXPECT_EQ(ldap.groups.id_attr, "entryUUID");
  EXPECT_EQ(ldap.groups.member_attrs, std::vector<std::string>{"member"});
  EXPECT_EQ(ldap.groups.member_uid_attr, "memberUid");

  const SourceConfig& ldif = c.sources[2];
  EXPECT_EQ(ldif.type, "ldif");
  EXPECT_EQ(ldif.file_path, path("directory.ldif"));
  EXPECT_EQ(ldif.users.id_attr, "entryUUID");

  const MappingConfig& m = c.mapping;
  ASSERT_EQ(m.permissions.size(), 1u);
  EXPECT_EQ(m.permissions[0].name, "View reports");
  ASSERT_EQ(m.roles.size(), 2u);
  EXPECT_EQ(m.roles[0].name, "Teacher");
  EXPECT_EQ(m.roles[0].permissions,
            (std::vector<std::string>{"mis.login.associated_institutions", "mis.reports.view"}));
  EXPECT_EQ(m.roles[1].name, "it-admin");  // name defaults to the id
  ASSERT_EQ(m.institutions.size(), 2u);
  EXPECT_EQ(m.institutions[0].mis_url, "https://oak.mis.example");
  EXPECT_EQ(m.institutions[0].skip_second_factor, SecondFactorPolicy::Always);
  EXPECT_EQ(m.institutions[1].skip_second_factor, SecondFactorPolicy::WhenMfa);
  ASSERT_EQ(m.clusters.size(), 1u);
  EXPECT_EQ(m.clusters[0].institutions, (std::vector<std::string>{"100001", "100002"}));

  ASSERT_EQ(m.rules.size(), 3u);
  EXPECT_EQ(m.rules[0].id, "staff-by-school");
  EXPECT_EQ(m.rules[0].group.kind, GroupMatcher::Kind::Pattern);
  EXPECT_EQ(m.rules[0].group.value, R"(^CN=Staff-(\d+),OU=Groups,DC=corp,DC=example$)");
  EXPECT_EQ(m.rules[0].source, "corp");
  EXPECT_EQ(m.rules[0].institutions, std::vector<std::string>{"$1"});
  EXPECT_EQ(m.rules[1].group.kind, GroupMatcher::Kind::Dn);
  EXPECT_FALSE(m.rules[1].source.has_value());
  EXPECT_EQ(m.rules[1].clusters, std::vector<std::string>{"primaries"});
  EXPECT_EQ(m.rules[2].group.kind, GroupMatcher::Kind::StableId);
  EXPECT_TRUE(m.rules[2].all_institutions);
  ASSERT_EQ(m.institution_rules.size(), 1u);
  EXPECT_EQ(m.institution_rules[0].institution_id, "$1");
  EXPECT_EQ(m.institution_rules[0].name, "{description}");
  EXPECT_EQ(m.institution_rules[0].mis_url, "https://$1.mis.example");
  EXPECT_EQ(m.institution_rules[0].skip_second_factor, SecondFactorPolicy::Always);

  ASSERT_EQ(c.clients.size(), 2u);
  EXPECT_EQ(c.clients[0].kind, ClientKind::Site);
  EXPECT_EQ(c.clients[0].secret_file, path("secrets/mat-site.secret"));
  EXPECT_EQ(c.clients[1].kind, ClientKind::School);
  EXPECT_EQ(c.clients[1].institution, "100001");
}

TEST_F(ConfigTest, EmptyFileGivesTheDocumentedDefaults) {
  const ConfigLoad load = load_config(write("trustgate.toml", ""));
  ASSERT_TRUE(load.config.has_value()) << describe(load);
  const Config defaults;
  EXPECT_EQ(load.config->database, defaults.database);
  EXPECT_EQ(load.config->http.listen, "127.0.0.1:8470");
  EXPECT_EQ(load.config->handoff.ttl_seconds, 30);
}

TEST_F(ConfigTest, DropInAppendsARuleAndOverridesAScalar) {
  const std::string main = write("trustgate.toml", R"toml([daemon]
log_level = "info"
sync_interval = 600
[[role]]
id = "teacher"
[[rule]]
id = "base"
group_dn = "cn=staff,dc=x"
roles = ["teacher"]
)toml");
  write("trustgate.toml.d/20-later.toml", "[daemon]\nlog_level = \"warn\"\n");
  write("trustgate.toml.d/10-rules.toml", R"toml([daemon]
log_level = "debug"
[[rule]]
id = "extra"
group_dn = "cn=extra,dc=x"
roles = ["teacher"]
)toml");
  write("trustgate.toml.d/README", "not toml [[[");
  write("trustgate.toml.d/30-off.toml.disabled", "not toml [[[");

  const ConfigLoad load = load_config(main);
  ASSERT_TRUE(load.config.has_value()) << describe(load);
  ASSERT_EQ(load.config->mapping.rules.size(), 2u);
  EXPECT_EQ(load.config->mapping.rules[0].id, "base");
  EXPECT_EQ(load.config->mapping.rules[1].id, "extra");
  EXPECT_EQ(load.config->log_level, "warn");           // 20-later.toml is read after 10-rules.toml
  EXPECT_EQ(load.config->sync_interval_seconds, 600);  // not overridden: kept
}

TEST_F(ConfigTest, IssueInADropInNamesTheDropInFileAndLine) {
  const std::string main = write("trustgate.toml", "[[role]]\nid = \"teacher\"\n");
  const std::string text = "[[rule]]\nid = \"r\"\ngroup_dn = \"cn=a\"\nroles = [\"techer\"]\n";
  const std::string dropin = write("trustgate.toml.d/50-rules.toml", text);

  const ConfigLoad load = load_config(main);
  EXPECT_FALSE(load.config.has_value());
  expect_issue(load, dropin, line_of(text, "techer"), "rule[0].roles", "unknown role 'techer'");
}

TEST_F(ConfigTest, ExplicitDropInFolderIsUsedInsteadOfTheDefault) {
  const std::string main = write("trustgate.toml", "");
  write("trustgate.toml.d/10.toml", "[daemon]\nlog_level = \"debug\"\n");
  write("conf.d/10.toml", "[daemon]\nlog_level = \"error\"\n");

  const ConfigLoad load = load_config(main, path("conf.d"));
  ASSERT_TRUE(load.config.has_value()) << describe(load);
  EXPECT_EQ(load.config->log_level, "error");

  const ConfigLoad missing = load_config(main, path("nowhere.d"));
  EXPECT_FALSE(missing.config.has_value());
  EXPECT_EQ(missing.issues.at(0).file, path("nowhere.d"));
}

TEST_F(ConfigTest, DuplicateIdAcrossFilesPointsAtBothDeclarations) {
  const std::string main = write("trustgate.toml", "[[role]]\nid = \"teacher\"\n");
  const std::string dropin =
      write("trustgate.toml.d/10.toml", "# more roles\n[[role]]\nid = \"teacher\"\n");
  const ConfigLoad load = load_config(main);
  expect_issue(load, dropin, 3, "role[0].id", "duplicate role id 'teacher'");
  EXPECT_THAT(issue_at(load, "role[0].id").message, HasSubstr(main + ":2"));
}

TEST_F(ConfigTest, SyntaxErrorReportsFileAndLine) {
  const std::string text = "[daemon]\nlog_level = \"info\"\nsync_interval = = 3\n";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  ASSERT_EQ(load.issues.size(), 1u) << describe(load);
  EXPECT_EQ(load.issues[0].file, main);
  EXPECT_EQ(load.issues[0].line, 3);
  EXPECT_THAT(load.issues[0].message, HasSubstr("syntax"));
}

TEST_F(ConfigTest, SyntaxErrorInADropInStillReportsProblemsOfTheMainFile) {
  const std::string main = write("trustgate.toml", "[handoff]\nttl_seconds = 0\n");
  const std::string dropin = write("trustgate.toml.d/10.toml", "[[rule]\n");
  const ConfigLoad load = load_config(main);
  ASSERT_EQ(load.issues.size(), 2u) << describe(load);
  EXPECT_EQ(load.issues[0].file, main);
  EXPECT_EQ(load.issues[0].key, "handoff.ttl_seconds");
  EXPECT_EQ(load.issues[1].file, dropin);
  EXPECT_EQ(load.issues[1].line, 1);
}

TEST_F(ConfigTest, MissingMainFileIsReported) {
  const ConfigLoad load = load_config(path("absent.toml"));
  ASSERT_EQ(load.issues.size(), 1u);
  EXPECT_EQ(load.issues[0].file, path("absent.toml"));
  EXPECT_THAT(load.issues[0].message, HasSubstr("not found"));
}

TEST_F(ConfigTest, UnknownKeyIsReportedWithASuggestion) {
  const std::string text = R"toml([[institution]]
id = "1"
[[rule]]
id = "r"
group_dn = "cn=a"
instituions = ["1"]
[deamon]
log_level = "info"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  expect_issue(load, main, line_of(text, "instituions"), "rule[0].instituions", "unknown key");
  EXPECT_THAT(issue_at(load, "rule[0].instituions").message, HasSubstr("'institutions'"));
  expect_issue(load, main, line_of(text, "[deamon]"), "deamon", "did you mean 'daemon'");
}

TEST_F(ConfigTest, WrongTypesAreReported) {
  const std::string text = R"toml([handoff]
ttl_seconds = "30"
[http]
require_client_cert = "yes"
[[role]]
id = "r"
permissions = "mis.login.associated_institutions"
[[institution]]
id = 100001
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  expect_issue(load, main, 2, "handoff.ttl_seconds", "expected an integer, got a string");
  expect_issue(load, main, 4, "http.require_client_cert", "expected a boolean");
  expect_issue(load, main, 7, "role[0].permissions", "expected an array of strings");
  expect_issue(load, main, 9, "institution[0].id", "expected a string, got an integer");
}

TEST_F(ConfigTest, MissingRequiredKeysAreReportedAtTheTable) {
  const std::string text = R"toml([[source]]
name = "corp"

[[rule]]
group_dn = "cn=a"

[[client]]
id = "site"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  expect_issue(load, main, 1, "source[corp].type", "missing required key");
  expect_issue(load, main, 4, "rule[0].id", "missing required key");
  expect_issue(load, main, 7, "client[0].kind", "missing required key");
  expect_issue(load, main, 7, "client[0].secret_file", "missing required key");
}

TEST_F(ConfigTest, DuplicateIdsOfEveryKindAreReported) {
  write("s", "secret\n");
  const std::string text = R"toml([[source]]
name = "a"
type = "ldif"
path = "a.ldif"
[[source]]
name = "a"
type = "ldif"
path = "b.ldif"
[[role]]
id = "r"
[[role]]
id = "r"
[[institution]]
id = "i"
[[institution]]
id = "i"
[[cluster]]
id = "c"
[[cluster]]
id = "c"
[[rule]]
id = "x"
group_dn = "cn=a"
[[rule]]
id = "x"
group_dn = "cn=b"
[[client]]
id = "k"
kind = "site"
secret_file = "s"
[[client]]
id = "k"
kind = "admin"
secret_file = "s"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  EXPECT_EQ(load.issues.size(), 6u) << describe(load);
  // Each duplicate is reported at the second declaration's id.
  expect_issue(load, main, 6, "source[a].name", "duplicate source name 'a'");
  expect_issue(load, main, 12, "role[1].id", "duplicate role id 'r'");
  expect_issue(load, main, 16, "institution[1].id", "duplicate institution id 'i'");
  expect_issue(load, main, 20, "cluster[1].id", "duplicate cluster id 'c'");
  expect_issue(load, main, 25, "rule[1].id", "duplicate rule id 'x'");
  expect_issue(load, main, 32, "client[1].id", "duplicate client id 'k'");
}

TEST_F(ConfigTest, RuleNeedsExactlyOneGroupMatcher) {
  const std::string text = R"toml([[rule]]
id = "none"
all_institutions = true

[[rule]]
id = "two"
group_dn = "cn=a"
group_pattern = "cn=(.*)"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  ASSERT_EQ(load.issues.size(), 2u) << describe(load);
  expect_issue(load, main, 1, "rule[0]", "give one of group_dn, group_id or group_pattern");
  expect_issue(load, main, 8, "rule[1].group_pattern", "only one of");
}

TEST_F(ConfigTest, InvalidRegexIsReported) {
  const std::string text = R"toml([[rule]]
id = "bad"
group_pattern = "CN=Staff-(\\d+"
all_institutions = true
[[institution_rule]]
id = "bad-too"
group_pattern = "CN=[School"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  expect_issue(load, main, 3, "rule[0].group_pattern", "invalid regex");
  expect_issue(load, main, 7, "institution_rule[0].group_pattern", "invalid regex");
}

// Issue 15: check-config segfaulted (std::regex recursion) on a pattern of ~20,000 nested
// groups. Such a pattern is an error naming its line and key.
TEST_F(ConfigTest, DeeplyNestedOrOverlongPatternIsAnErrorNotACrash) {
  const std::string deep = std::string(20000, '(') + "a" + std::string(20000, ')');
  const std::string nested = std::string(300, '(') + "a" + std::string(300, ')');
  const std::string text = "[[rule]]\nid = \"deep\"\ngroup_pattern = \"" + deep +
                           "\"\nall_institutions = true\n[[rule]]\nid = \"nested\"\n"
                           "group_pattern = \"" +
                           nested + "\"\nall_institutions = true\n";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  expect_issue(load, main, 3, "rule[0].group_pattern", "at most 1024");
  expect_issue(load, main, 7, "rule[1].group_pattern", "invalid regex");
}

TEST_F(ConfigTest, ReferencesToUndefinedEntitiesAreReportedButCapturesAreNot) {
  const std::string text = R"toml([[role]]
id = "teacher"
permissions = ["mis.login.associated_institutions",
               "mis.nope"]
[[institution]]
id = "100001"
[[cluster]]
id = "primaries"
institutions = ["100001", "999999"]
[[rule]]
id = "r"
group_pattern = "CN=(\\w+)-(\\d+)"
source = "nowhere"
roles = ["teacher", "$1", "ghost"]
institutions = ["$2", "100001", "100002"]
clusters = ["secondaries"]
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  EXPECT_EQ(load.issues.size(), 6u) << describe(load);
  expect_issue(load, main, 4, "role[0].permissions", "unknown permission 'mis.nope'");
  expect_issue(load, main, 9, "cluster[0].institutions", "unknown institution '999999'");
  expect_issue(load, main, 13, "rule[0].source", "unknown source 'nowhere'");
  expect_issue(load, main, 14, "rule[0].roles", "unknown role 'ghost'");
  expect_issue(load, main, 15, "rule[0].institutions", "unknown institution '100002'");
  expect_issue(load, main, 16, "rule[0].clusters", "unknown cluster 'secondaries'");
}

TEST_F(ConfigTest, CaptureBeyondThePatternsGroupsIsReported) {
  const std::string text = R"toml([[rule]]
id = "r"
group_pattern = "CN=Staff-(\\d+)"
institutions = ["$2"]
[[rule]]
id = "dn"
group_dn = "cn=staff"
institutions = ["$1"]
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  expect_issue(load, main, 4, "rule[0].institutions", "1 capture group");
  expect_issue(load, main, 8, "rule[1].institutions", "only group_pattern has captures");
}

TEST_F(ConfigTest, InstitutionRuleDefaultIdNeedsAPatternCapture) {
  const std::string text = R"toml([[institution_rule]]
id = "by-dn"
group_dn = "cn=oak,ou=schools"
[[institution_rule]]
id = "by-dn-with-id"
group_dn = "cn=oak,ou=schools"
institution_id = "100001"
[[institution_rule]]
id = "by-pattern"
group_pattern = "cn=school-(\\d+)"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  ASSERT_EQ(load.issues.size(), 1u) << describe(load);
  expect_issue(load, main, 1, "institution_rule[0]", "institution_id defaults to \"$1\"");
}

TEST_F(ConfigTest, HandoffTtlMustBeBetween1And300) {
  for (const int ttl : {0, 301, -5}) {
    const std::string main =
        write("trustgate.toml", fmt::format("# ttl\n[handoff]\nttl_seconds = {}\n", ttl));
    const ConfigLoad load = load_config(main);
    expect_issue(load, main, 3, "handoff.ttl_seconds", "between 1 and 300");
  }
  for (const int ttl : {1, 300}) {
    const ConfigLoad load =
        load_config(write("trustgate.toml", fmt::format("[handoff]\nttl_seconds = {}\n", ttl)));
    ASSERT_TRUE(load.config.has_value()) << describe(load);
    EXPECT_EQ(load.config->handoff.ttl_seconds, ttl);
  }
}

TEST_F(ConfigTest, SchoolClientNeedsAKnownInstitution) {
  write("s", "secret\n");
  const std::string text = R"toml([[institution]]
id = "100001"
[[client]]
id = "no-institution"
kind = "school"
secret_file = "s"
[[client]]
id = "unknown-institution"
kind = "school"
institution = "100009"
secret_file = "s"
[[client]]
id = "known"
kind = "school"
institution = "100001"
secret_file = "s"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  ASSERT_EQ(load.issues.size(), 2u) << describe(load);
  expect_issue(load, main, 3, "client[0].institution", "missing required key");
  expect_issue(load, main, 10, "client[1].institution", "unknown institution '100009'");
}

TEST_F(ConfigTest, InstitutionsFromInstitutionRulesAreNotCheckedAtLoad) {
  write("s", "secret\n");
  const std::string text = R"toml([[institution_rule]]
id = "schools"
group_pattern = "CN=School-(\\d+)"
[[cluster]]
id = "c"
institutions = ["100009"]
[[rule]]
id = "r"
group_dn = "cn=a"
institutions = ["100009"]
[[client]]
id = "school"
kind = "school"
institution = "100009"
secret_file = "s"
)toml";
  const ConfigLoad load = load_config(write("trustgate.toml", text));
  EXPECT_TRUE(load.issues.empty()) << describe(load);
  EXPECT_TRUE(load.config.has_value());
}

TEST_F(ConfigTest, InlineSecretsAreRefusedWithoutEchoingThem) {
  const std::string text = R"toml([[source]]
name = "corp"
type = "ldap"
url = "ldap://ldap.example"
bind_dn = "cn=admin"
bind_password = "hunter2-inline"
[[client]]
id = "site"
kind = "site"
secret = "topsecret-inline"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  EXPECT_FALSE(load.config.has_value());
  expect_issue(load, main, 6, "source[corp].bind_password",
               "secrets must come from files: use bind_password_file");
  expect_issue(load, main, 10, "client[0].secret", "secrets must come from files: use secret_file");
  for (const ConfigIssue& issue : load.issues) {
    EXPECT_THAT(format_issue(issue), Not(HasSubstr("hunter2")));
    EXPECT_THAT(format_issue(issue), Not(HasSubstr("topsecret")));
  }
}

TEST_F(ConfigTest, MissingSecretFileIsAnErrorThatNamesOnlyThePath) {
  write("present.secret", "do-not-print-me\n");
  const std::string text = R"toml([[client]]
id = "a"
kind = "site"
secret_file = "absent.secret"
[[client]]
id = "b"
kind = "admin"
secret_file = "present.secret"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  ASSERT_EQ(load.issues.size(), 1u) << describe(load);
  expect_issue(load, main, 4, "client[0].secret_file", "secret file not found");
  EXPECT_THAT(load.issues[0].message, HasSubstr(path("absent.secret")));
  EXPECT_THAT(describe(load), Not(HasSubstr("do-not-print-me")));
}

TEST_F(ConfigTest, SourceTypeSpecificRequirements) {
  const std::string text = R"toml([[source]]
name = "file"
type = "ldif"

[[source]]
name = "no-url"
type = "ldap"

[[source]]
name = "web"
type = "ad"
url = "https://dc.example"

[[source]]
name = "odd"
type = "novell"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  EXPECT_EQ(load.issues.size(), 4u) << describe(load);
  expect_issue(load, main, 1, "source[file].path", "missing required key");
  expect_issue(load, main, line_of(text, "[[source]]\nname = \"no-url\""), "source[no-url].url",
               "missing required key");
  expect_issue(load, main, line_of(text, "https://"), "source[web].url",
               "unsupported URL scheme 'https'");
  expect_issue(load, main, line_of(text, "novell"), "source[odd].type", "must be one of");
}

// Issue 14 item 4: ldap sources left out `objectClass: group` groups that ldif sources read.
TEST_F(ConfigTest, EverySourceTypeDefaultsToTheSameGroupFilter) {
  const ConfigLoad load = load_config(write("trustgate.toml", R"toml([[source]]
name = "file"
type = "ldif"
path = "d.ldif"

[[source]]
name = "openldap"
type = "ldap"
url = "ldap://h"

[[source]]
name = "corp"
type = "ad"
url = "ldaps://dc"
)toml"));
  ASSERT_TRUE(load.config.has_value()) << describe(load);
  ASSERT_EQ(load.config->sources.size(), 3u);
  for (const SourceConfig& s : load.config->sources) {
    EXPECT_EQ(s.groups.filter, kDefaultGroupFilter) << s.type;
    EXPECT_THAT(s.groups.filter, HasSubstr("(objectClass=group)")) << s.type;
  }
}

TEST_F(ConfigTest, MalformedFiltersAreReportedWithFileLineAndKey) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "(!";
  deep += "(cn=a)" + std::string(200, ')');
  const std::string text = fmt::format(R"toml([[source]]
name = "corp"
type = "ldap"
url = "ldap://h"
[source.users]
filter = "(&(objectClass=person)"
[source.groups]
filter = "objectClass=group"

[[source]]
name = "file"
type = "ldif"
path = "d.ldif"
[source.users]
filter = "{}"
[source.groups]
filter = "(cn=a\\zz)"
)toml",
                                       deep);
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  EXPECT_EQ(load.issues.size(), 4u) << describe(load);
  expect_issue(load, main, line_of(text, "(&(objectClass=person)"), "source[corp].users.filter",
               "not a valid LDAP filter: at character 23: the filter ends where ')' was expected");
  expect_issue(load, main, line_of(text, "\"objectClass=group"), "source[corp].groups.filter",
               "at character 1: expected '('");
  expect_issue(load, main, line_of(text, "(!(!"), "source[file].users.filter",
               "nested more than 64 deep");
  expect_issue(load, main, line_of(text, "zz"), "source[file].groups.filter", "two hex digits");
}

// Issue 14 item 1: an ldif source evaluates its filters itself; items it can't evaluate as the
// server would are refused rather than guessed.
TEST_F(ConfigTest, LdifSourceRefusesFilterItemsItCannotEvaluate) {
  const std::string text = R"toml([[source]]
name = "file"
type = "ldif"
path = "d.ldif"
[source.users]
filter = "(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
[source.groups]
filter = "(gidNumber>=1000)"

[[source]]
name = "corp"
type = "ad"
url = "ldaps://dc"
[source.users]
filter = "(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
[source.groups]
filter = "(gidNumber>=1000)"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  EXPECT_EQ(load.issues.size(), 2u) << describe(load);  // the ad source sends them to the server
  expect_issue(load, main, line_of(text, "(&(objectClass=user)"), "source[file].users.filter",
               "extensible matches are not supported on ldif sources");
  expect_issue(load, main, line_of(text, "(gidNumber>=1000)"), "source[file].groups.filter",
               "'(gidNumber>=...)': ordering matches (>=, <=) are not supported on ldif sources");
}

TEST_F(ConfigTest, WellFormedFiltersAreKeptAsWritten) {
  const ConfigLoad load = load_config(write("trustgate.toml", R"toml([[source]]
name = "file"
type = "ldif"
path = "d.ldif"
[source.users]
base = "ou=Staff,dc=la,dc=example"
filter = "(&(objectClass=inetOrgPerson)(!(employeeType=leaver))(cn=a\\2a*))"
)toml"));
  ASSERT_TRUE(load.config.has_value()) << describe(load);
  EXPECT_EQ(load.config->sources[0].users.filter,
            R"((&(objectClass=inetOrgPerson)(!(employeeType=leaver))(cn=a\2a*)))");
  EXPECT_EQ(load.config->sources[0].users.base, "ou=Staff,dc=la,dc=example");
}

// Issue 14: check-config accepted settings a source's type ignores (an ldif source's url, an
// ldap source's path), which look like settings in force.
TEST_F(ConfigTest, KeysASourceTypeIgnoresAreRefused) {
  const std::string text = R"toml([[source]]
name = "file"
type = "ldif"
path = "d.ldif"
url = "ldap://h"
start_tls = true
bind_dn = "cn=reader,dc=x"
bind_password_file = "absent.pw"
bind_password = "do-not-print-me"
sasl_external = false
ca_file = "ca.pem"
tls_verify = false
page_size = 100
timeout = 5
incremental = true
reconcile_interval = 60
poll_interval = 5

[[source]]
name = "corp"
type = "ad"
url = "ldaps://dc"
path = "corp.ldif"

[[source]]
name = "openldap"
type = "ldap"
url = "ldap://h"
path = "openldap.ldif"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  EXPECT_EQ(load.issues.size(), 15u) << describe(load);
  for (const std::string_view key :
       {"url", "start_tls", "bind_dn", "bind_password_file", "bind_password", "sasl_external",
        "ca_file", "tls_verify", "page_size", "timeout", "incremental", "reconcile_interval"}) {
    expect_issue(
        load, main, line_of(text, fmt::format("\n{} = ", key)) + 1,
        fmt::format("source[file].{}", key),
        fmt::format("{} is for ldap and ad sources; an ldif source only reads its file", key));
  }
  expect_issue(load, main, line_of(text, "poll_interval = 5"), "source[file].poll_interval",
               "poll_interval is for ad sources");
  expect_issue(load, main, line_of(text, "corp.ldif"), "source[corp].path",
               "path is for ldif sources; an ad source reads the directory at url");
  expect_issue(load, main, line_of(text, "openldap.ldif"), "source[openldap].path",
               "path is for ldif sources; an ldap source reads the directory at url");
  EXPECT_THAT(describe(load), Not(HasSubstr("do-not-print-me")));
}

TEST_F(ConfigTest, LdapUrlSchemesAccepted) {
  for (const std::string_view url :
       {"ldap://h", "ldaps://h:636", "ldapi://%2Frun%2Fslapd%2Fldapi", "LDAPS://a ldaps://b"}) {
    const ConfigLoad load = load_config(
        write("trustgate.toml",
              fmt::format("[[source]]\nname = \"s\"\ntype = \"ldap\"\nurl = \"{}\"\n", url)));
    EXPECT_TRUE(load.issues.empty()) << url << "\n" << describe(load);
  }
}

TEST_F(ConfigTest, TlsVerifyIsOnUnlessExplicitlyTurnedOff) {
  const ConfigLoad on = load_config(
      write("on.toml", "[[source]]\nname = \"s\"\ntype = \"ldap\"\nurl = \"ldaps://h\"\n"));
  ASSERT_TRUE(on.config.has_value()) << describe(on);
  EXPECT_TRUE(on.config->sources[0].tls_verify);
  const ConfigLoad off = load_config(write(
      "off.toml",
      "[[source]]\nname = \"s\"\ntype = \"ldap\"\nurl = \"ldaps://h\"\ntls_verify = false\n"));
  ASSERT_TRUE(off.config.has_value()) << describe(off);
  EXPECT_FALSE(off.config->sources[0].tls_verify);
}

TEST_F(ConfigTest, SeveralErrorsAreReportedAtOnceInFileOrder) {
  const std::string text = R"toml([daemon]
log_level = "loud"
[handoff]
ttl_seconds = 3600
[[rule]]
id = "r"
roles = ["nobody"]
[[client]]
id = "c"
kind = "school"
secret = "x"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  EXPECT_FALSE(load.config.has_value());
  std::vector<std::string> keys;
  for (const ConfigIssue& issue : load.issues) {
    EXPECT_EQ(issue.file, main);
    keys.push_back(issue.key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"daemon.log_level", "handoff.ttl_seconds", "rule[0]",
                                            "rule[0].roles", "client[0].institution",
                                            "client[0].secret_file", "client[0].secret"}))
      << describe(load);
  for (std::size_t i = 1; i < load.issues.size(); ++i) {
    EXPECT_LE(load.issues[i - 1].line, load.issues[i].line);
  }
}

TEST_F(ConfigTest, RelativeSecretPathsAreLookedUpInCredentialsDirectoryFirst) {
  write("creds/ldap.pw", "from-credentials\n");
  write("etc/site.secret", "from-config-folder\n");
  write("etc/admin.secret", "shadowed\n");
  write("creds/admin.secret", "credential wins\n");
  const std::string main = write("etc/trustgate.toml", R"toml([[source]]
name = "corp"
type = "ldap"
url = "ldap://h"
bind_dn = "cn=svc"
bind_password_file = "ldap.pw"
[[client]]
id = "site"
kind = "site"
secret_file = "site.secret"
[[client]]
id = "admin"
kind = "admin"
secret_file = "admin.secret"
)toml");
  setenv("CREDENTIALS_DIRECTORY", path("creds").c_str(), 1);

  const ConfigLoad load = load_config(main);
  ASSERT_TRUE(load.config.has_value()) << describe(load);
  EXPECT_EQ(load.config->sources[0].bind_password_file, path("creds/ldap.pw"));
  EXPECT_EQ(load.config->clients[0].secret_file, path("etc/site.secret"));  // fallback
  EXPECT_EQ(load.config->clients[1].secret_file, path("creds/admin.secret"));

  unsetenv("CREDENTIALS_DIRECTORY");
  const ConfigLoad without = load_config(main);
  EXPECT_EQ(issue_at(without, "source[corp].bind_password_file").line, 6) << describe(without);
}

TEST_F(ConfigTest, RelativePathsAreRelativeToTheDeclaringFilesFolder) {
  const std::string main = write("etc/trustgate.toml", R"toml([daemon]
database = "../var/trustgate.db"
[http]
tls_cert = "/abs/cert.pem"
[[source]]
name = "main"
type = "ldif"
path = "dir/people.ldif"
)toml");
  write("etc/trustgate.toml.d/10.toml", R"toml([[source]]
name = "extra"
type = "ldif"
path = "extra.ldif"

[[source]]
name = "server"
type = "ldap"
url = "ldaps://h"
ca_file = "ca.pem"
)toml");
  write("etc/trustgate.toml.d/11.toml", "[http]\ntls_cert = \"\"\n");

  const ConfigLoad load = load_config(main);
  ASSERT_TRUE(load.config.has_value()) << describe(load);
  EXPECT_EQ(load.config->database, path("var/trustgate.db"));
  EXPECT_EQ(load.config->sources[0].file_path, path("etc/dir/people.ldif"));
  EXPECT_EQ(load.config->sources[1].file_path, path("etc/trustgate.toml.d/extra.ldif"));
  EXPECT_EQ(load.config->sources[2].ca_file, path("etc/trustgate.toml.d/ca.pem"));
  EXPECT_EQ(load.config->sources[1].config_file, path("etc/trustgate.toml.d/10.toml"));
  EXPECT_EQ(load.config->http.tls_cert_file, "");  // the drop-in cleared it
}

TEST_F(ConfigTest, TlsSettingsMustComeInPairs) {
  const std::string text = "[http]\ntls_cert = \"cert.pem\"\nrequire_client_cert = true\n";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  expect_issue(load, main, 2, "http.tls_cert", "both tls_cert and tls_key");
  expect_issue(load, main, 3, "http.require_client_cert", "needs tls_client_ca");
}

TEST_F(ConfigTest, ClientCertificateNameNeedsAClientCaAndAValue) {
  write("s", "secret\n");
  const std::string text = R"toml([[client]]
id = "site"
kind = "site"
certificate_name = "site.la.example"
secret_file = "s"

[[client]]
id = "ops"
kind = "admin"
certificate_name = ""
secret_file = "s"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  expect_issue(load, main, 4, "client[0].certificate_name", "needs [http] tls_client_ca");
  expect_issue(load, main, 10, "client[1].certificate_name", "must not be empty");
}

TEST_F(ConfigTest, ClientCertificateNameIsReadWhenAClientCaIsSet) {
  write_secret("s", "secret\n");
  write_secret("key.pem", "key\n");
  const std::string text = R"toml([http]
tls_cert = "cert.pem"
tls_key = "key.pem"
tls_client_ca = "ca.pem"

[[client]]
id = "site"
kind = "site"
certificate_name = "site.la.example"
secret_file = "s"

[[client]]
id = "ops"
kind = "admin"
secret_file = "s"
)toml";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  for (const auto& issue : load.issues) EXPECT_EQ(issue.key.find("certificate"), std::string::npos);
  ASSERT_TRUE(load.config) << describe(load);
  EXPECT_EQ(load.config->clients[0].certificate_name, "site.la.example");
  EXPECT_FALSE(load.config->clients[1].certificate_name.has_value());
}

TEST_F(ConfigTest, ReadSecretStripsTheTrailingNewline) {
  EXPECT_EQ(read_secret(write_secret("a", "s3cret\n")).value(), "s3cret");
  EXPECT_EQ(read_secret(write_secret("b", "s3cret\r\n")).value(), "s3cret");
  EXPECT_EQ(read_secret(write_secret("c", "no-newline")).value(), "no-newline");
  EXPECT_EQ(read_secret(write_secret("d", "inner\nline\n")).value(), "inner\nline");
}

TEST_F(ConfigTest, ReadSecretErrorsNeverContainTheContent) {
  const auto missing = read_secret(path("absent"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, "config.secret");
  EXPECT_THAT(missing.error().message, HasSubstr(path("absent")));

  const auto empty = read_secret(write_secret("empty", "\n"));
  ASSERT_FALSE(empty.has_value());
  EXPECT_THAT(empty.error().message, HasSubstr("empty"));
}

TEST_F(ConfigTest, FormatIssueIsFileLineKeyMessage) {
  EXPECT_EQ(format_issue({"/etc/t.toml", 12, "rule[2].roles", "unknown role 'x'"}),
            "/etc/t.toml:12: rule[2].roles: unknown role 'x'");
  EXPECT_EQ(format_issue({"/etc/t.toml", 0, "", "config file not found"}),
            "/etc/t.toml: config file not found");
}

}  // namespace
}  // namespace trustgate

namespace trustgate {
namespace {

TEST_F(ConfigTest, EdgeSizesOutOfRangeAreClearErrorsAtTheirLines) {
  const std::string text = "[http]\nevent_loops = 65\nmax_connections = 0\nthreads = -1\n";
  const std::string main = write("trustgate.toml", text);
  const ConfigLoad load = load_config(main);
  expect_issue(load, main, 2, "http.event_loops", "between 0 and 64");
  expect_issue(load, main, 3, "http.max_connections", "between 1 and 1000000");
  expect_issue(load, main, 4, "http.threads", "between 1 and 1024");
}

}  // namespace
}  // namespace trustgate
