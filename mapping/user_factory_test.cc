#include "mapping/user_factory.h"

#include <gtest/gtest.h>

#include <vector>

#include "mapping/access_model.h"
#include "mapping/model_catalog.h"
#include "mapping/prepared_snapshot.h"
#include "mapping/rule_hits.h"
#include "mapping/test_fixtures.h"
#include "mapping/user_from_entry.h"
#include "mapping/warning_log.h"

namespace trustgate {
namespace {

// The factory's contract: what it makes, through its caches, is the plain walk's User.
TEST(UserFactory, MakesWhatThePlainWalkMakesWhileSharingOneCache) {
  const MappingConfig config = testing::staff_everyone_config();
  DirectorySnapshot s = testing::staff_everyone_directory(300);
  // A group no rule names that holds Staff (no grants through it) and two users directly.
  s.groups.push_back(
      testing::make_group("Clubs", {testing::group_dn("Staff"), s.users[1].dn, s.users[3].dn}));
  s.users.push_back(testing::make_user("nobody"));  // in no group

  WarningLog warnings;
  const std::vector<PreparedSnapshot> prepared = {prepare_snapshot(s)};
  AccessModel catalog;
  build_catalog(catalog, config, prepared, nullptr, warnings);
  RuleSet rules(config, warnings);
  const GroupHits hits = rules.match(prepared[0], catalog, nullptr, warnings);
  ASSERT_TRUE(hits.any);
  const GroupTree tree(s.groups, s.users);
  const UserFactory factory(s, hits, tree);

  UserFactory::Cache cache;
  ProvenanceCache provenances;
  std::size_t with_grants = 0;
  for (std::size_t u = 0; u < s.users.size(); ++u) {
    User plain;
    take_profile(plain, s.users[u], s.source);
    plain.enabled = s.users[u].enabled;
    add_grants(plain, s, hits, tree.memberships_of_user(u), provenances);
    canonicalize_grants(plain);
    EXPECT_EQ(*factory.make(u, cache), plain) << s.users[u].id;
    with_grants += !plain.roles.empty() || !plain.associations.empty();
  }
  EXPECT_EQ(with_grants, s.users.size() - 1);
}

}  // namespace
}  // namespace trustgate
