// trustgatectl test-connection on an ldif source, through the real binary: the file's steps
// and counts, a missing file failing at its step with exit 3, an unknown source exiting 1 and
// an unreadable bind password file exiting 2. (ldap sources: tests/integration.)
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/ctl_fixture.h"

namespace trustgate::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Poco::JSON::Object::Ptr only_source(const CommandResult& r) {
  Poco::JSON::Parser parser;
  auto root = parser.parse(r.out).extract<Poco::JSON::Object::Ptr>();
  auto sources = root->getArray("sources");
  EXPECT_EQ(sources->size(), 1u);
  return sources->getObject(0);
}

Poco::JSON::Object::Ptr step(const Poco::JSON::Object::Ptr& source, unsigned i) {
  return source->getArray("steps")->getObject(i);
}

TEST(CtlTestConnectionTest, AnLdifSourcePassesWithItsCounts) {
  CtlFixture f;
  auto r = f.ctl({"test-connection", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto source = only_source(r);
  EXPECT_EQ(source->getValue<std::string>("source"), "test");
  EXPECT_EQ(source->getValue<std::string>("type"), "ldif");
  EXPECT_TRUE(source->getValue<bool>("passed"));
  ASSERT_EQ(source->getArray("steps")->size(), 3u);
  EXPECT_EQ(step(source, 0)->getValue<std::string>("name"), "file");
  EXPECT_EQ(step(source, 1)->getValue<std::string>("name"), "parse");
  auto entries = step(source, 2);
  EXPECT_EQ(entries->getValue<std::string>("name"), "entries");
  // base_ldif(): alice, bob, carol, dave, eve; Staff, School-100003, Cluster-Primaries, Central.
  EXPECT_EQ(entries->getObject("facts")->getValue<int>("users"), 5);
  EXPECT_EQ(entries->getObject("facts")->getValue<int>("groups"), 4);

  auto human = f.ctl({"test-connection", "test"});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_THAT(human.out, HasSubstr("source test (ldif)"));
  EXPECT_THAT(human.out, HasSubstr("  ok    entries   5 users, 4 groups"));
}

TEST(CtlTestConnectionTest, AMissingFileFailsAtTheFileStepWithExitThree) {
  CtlFixture f;
  std::filesystem::remove(f.dir() / "directory.ldif");
  auto r = f.ctl({"test-connection", "--json", "test"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  auto source = only_source(r);
  EXPECT_FALSE(source->getValue<bool>("passed"));
  EXPECT_EQ(source->getValue<std::string>("failed_step"), "file");
  EXPECT_THAT(step(source, 0)->getValue<std::string>("detail"), HasSubstr("does not exist"));
  auto human = f.ctl({"test-connection"});
  EXPECT_EQ(human.exit_code, 3);
  EXPECT_THAT(human.out, HasSubstr("FAILED at file"));
}

TEST(CtlTestConnectionTest, AnUnknownSourceExitsOne) {
  CtlFixture f;
  auto r = f.ctl({"test-connection", "elsewhere"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("no source named 'elsewhere'"));
  EXPECT_EQ(r.out, "");
}

TEST(CtlTestConnectionTest, AnUnreadableBindPasswordFileIsAConfigErrorExitingTwo) {
  CtlFixture f;
  // An ldap source whose password file is world-readable: refused like any secret file.
  const auto pw = f.dir() / "bind.password";
  std::ofstream(pw) << "secret\n";
  std::filesystem::permissions(pw, std::filesystem::perms::owner_read |
                                       std::filesystem::perms::owner_write |
                                       std::filesystem::perms::others_read);
  f.write_config(
      "\n[[source]]\nname = \"campus\"\ntype = \"ldap\"\nurl = \"ldap://127.0.0.1:1\"\n"
      "bind_dn = \"cn=reader,dc=la,dc=example\"\nbind_password_file = \"" +
      pw.string() + "\"\n");
  auto r = f.ctl({"test-connection", "campus"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("bind.password"));
  EXPECT_THAT(r.err, Not(HasSubstr("secret\n")));
}

}  // namespace
}  // namespace trustgate::testing
