// trustgatectl history, show and audit (issue 22), the real binary on a real LDIF file, store
// and handoff database: what changed when and by whom, user by user; the audit trail found by
// username, school and operator; changes made with associate / dissociate audited like the
// API's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <map>
#include <string>
#include <vector>

#include "tests/e2e/ctl_fixture.h"

namespace trustgate::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The operator trustgatectl names ($SUDO_USER first).
const std::map<std::string, std::string> kAnn{{"SUDO_USER", "ann"}};
const std::map<std::string, std::string> kBen{{"SUDO_USER", "ben"}};

Poco::JSON::Array::Ptr json_array(const CommandResult& r) {
  return Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Array::Ptr>();
}
Poco::JSON::Object::Ptr json_object(const CommandResult& r) {
  return Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
}

// Two syncs by two operators and manual changes between them.
class CtlHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(f_.ctl({"sync", "--once"}, kAnn).exit_code, 0);
    auto add = f_.ctl({"associate", "carol", "--institution=100002"}, kBen);
    ASSERT_EQ(add.exit_code, 0) << add.err;
    // alice has 100001 only through the Primaries cluster: refused, and audited as refused.
    ASSERT_EQ(f_.ctl({"dissociate", "alice", "--institution=100001"}, kBen).exit_code, 1);
    f_.write_ldif(CtlFixture::base_ldif({"alice", "bob", "carol"}) +
                  CtlFixture::user("frank", "00000000-0000-4000-8000-00000000000f"));
    auto sync = f_.ctl({"sync", "--once"}, kBen);
    ASSERT_EQ(sync.exit_code, 0) << sync.err;
    ASSERT_EQ(f_.ctl({"dissociate", "carol", "--institution=100002"}, kAnn).exit_code, 0);
  }
  CtlFixture f_;
};

TEST_F(CtlHistoryTest, HistoryListsRevisionsAndManualChangesWithWhoAndWhat) {
  auto r = f_.ctl({"--json", "history"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto entries = json_array(r);
  ASSERT_EQ(entries->size(), 4u) << r.out;  // the refused removal changed nothing
  std::vector<Poco::JSON::Object::Ptr> revisions, manual;
  std::int64_t previous_at = INT64_MAX;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    auto e = entries->getObject(static_cast<unsigned>(i));
    EXPECT_LE(e->getValue<std::int64_t>("at"), previous_at) << "newest first";
    previous_at = e->getValue<std::int64_t>("at");
    (e->getValue<std::string>("kind") == "revision" ? revisions : manual).push_back(e);
  }
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(revisions[0]->getValue<int>("revision"), 2);
  EXPECT_EQ(revisions[0]->getValue<std::string>("applied_by"), "trustgatectl:ben");
  EXPECT_EQ(revisions[1]->getValue<std::string>("applied_by"), "trustgatectl:ann");
  EXPECT_EQ(revisions[0]->getValue<std::string>("sources"), "test");
  // Revision 2: frank added (no group, so no grant), dave left Staff: one role grant gone.
  auto changes = revisions[0]->getObject("changes");
  EXPECT_EQ(changes->getValue<int>("users_added"), 1);
  EXPECT_EQ(changes->getValue<int>("users_changed"), 1);
  EXPECT_EQ(changes->getValue<int>("grants_removed"), 1);
  EXPECT_EQ(revisions[1]->getObject("changes")->getValue<int>("users_added"), 5);
  ASSERT_EQ(manual.size(), 2u);
  EXPECT_EQ(manual[0]->getValue<std::string>("action"), "dissociate");
  EXPECT_EQ(manual[0]->getValue<std::string>("by"), "trustgatectl:ann");
  EXPECT_EQ(manual[1]->getValue<std::string>("action"), "associate");
  EXPECT_EQ(manual[1]->getValue<std::string>("by"), "trustgatectl:ben");
  EXPECT_EQ(manual[1]->getValue<std::string>("username"), "carol");
  EXPECT_EQ(manual[1]->getValue<std::string>("target"), "institution:100002");

  auto table = f_.ctl({"history"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("revision 2"));
  EXPECT_THAT(table.out, HasSubstr("trustgatectl:ben (test)"));
  EXPECT_THAT(table.out, HasSubstr("carol + institution 100002"));
  EXPECT_THAT(table.out, HasSubstr("carol - institution 100002"));
  EXPECT_EQ(json_array(f_.ctl({"--json", "history", "--limit=1"}))->size(), 1u);
}

TEST_F(CtlHistoryTest, ShowGivesARevisionsChangesUserByUser) {
  auto r = f_.ctl({"show", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("revision 2, applied"));
  EXPECT_THAT(r.out, HasSubstr("by trustgatectl:ben (test)"));
  EXPECT_THAT(r.out, HasSubstr("frank (id:00000000-0000-4000-8000-00000000000f): added"));
  EXPECT_THAT(r.out, HasSubstr("dave ("));
  EXPECT_THAT(r.out, HasSubstr("  - role"));
  EXPECT_THAT(r.out, Not(HasSubstr("alice (")));  // unchanged

  auto json = json_object(f_.ctl({"--json", "show", "2"}));
  auto users = json->getArray("user_changes");
  ASSERT_EQ(users->size(), 2u);
  std::map<std::string, Poco::JSON::Object::Ptr> by_name;
  for (unsigned i = 0; i < users->size(); ++i) {
    by_name[users->getObject(i)->getValue<std::string>("username")] = users->getObject(i);
  }
  ASSERT_TRUE(by_name.contains("dave"));
  EXPECT_EQ(by_name["dave"]->getValue<std::string>("change"), "changed");
  EXPECT_EQ(by_name["dave"]->getValue<int>("grants_removed"), 1);
  EXPECT_EQ(by_name["dave"]->getArray("lines")->size(), 1u);
  EXPECT_EQ(by_name["frank"]->getValue<std::string>("change"), "added");

  auto first = json_object(f_.ctl({"--json", "show", "1"}));
  EXPECT_EQ(first->getArray("user_changes")->size(), 5u);
  auto missing = f_.ctl({"show", "9"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no revision 9"));
}

TEST_F(CtlHistoryTest, AuditFindsEventsByUsernameSchoolAndOperatorIncludingCtlChanges) {
  auto carol = f_.ctl({"--json", "audit", "--user=carol"});
  ASSERT_EQ(carol.exit_code, 0) << carol.err;
  auto rows = json_array(carol);
  ASSERT_EQ(rows->size(), 2u) << carol.out;
  EXPECT_EQ(rows->getObject(0)->getValue<std::string>("action"), "dissociate");
  EXPECT_EQ(rows->getObject(0)->getValue<std::string>("client"), "trustgatectl:ann");
  EXPECT_EQ(rows->getObject(0)->getValue<std::string>("username"), "carol");
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("action"), "associate");
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("decision"), "allow");

  // The refused removal of alice's cluster school is in the trail, denied, with its reason.
  auto alice = json_array(f_.ctl({"--json", "audit", "--user=alice"}));
  ASSERT_EQ(alice->size(), 1u);
  EXPECT_EQ(alice->getObject(0)->getValue<std::string>("decision"), "deny");
  EXPECT_EQ(alice->getObject(0)->getValue<std::string>("reason"), "blocked_by_cluster");

  EXPECT_EQ(json_array(f_.ctl({"--json", "audit", "--institution=100002"}))->size(), 2u);
  EXPECT_EQ(json_array(f_.ctl({"--json", "audit", "--institution=100001"}))->size(), 1u);
  EXPECT_EQ(json_array(f_.ctl({"--json", "audit", "--by=ben"}))->size(), 2u);
  EXPECT_EQ(json_array(f_.ctl({"--json", "audit", "--by=trustgatectl:ann"}))->size(), 1u);
  EXPECT_EQ(json_array(f_.ctl({"--json", "audit", "--by=nobody"}))->size(), 0u);

  auto table = f_.ctl({"audit", "--user=carol"});
  EXPECT_THAT(table.out, HasSubstr("carol"));
  EXPECT_THAT(table.out, Not(HasSubstr("00000000-0000-4000-8000-00000000000c")))
      << "users are shown by username";
  // The rows the operators wrote are part of the verified chain.
  EXPECT_EQ(f_.ctl({"audit", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace trustgate::testing
