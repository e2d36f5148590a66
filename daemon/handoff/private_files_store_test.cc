// State and secret files on a real file system: private whatever the umask (issue 15: the
// stores with the audit log were created 0644 and only the unit's UMask= protected them).
#include "common/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "daemon/config/config.h"
#include "daemon/handoff/group_commit_db.h"
#include "daemon/testing/store_test_support.h"
#include "daemon/testing/synthetic_model.h"

namespace trustgate {
namespace {

using store_test::TempDir;

unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Sets the process umask for the test's duration.
class Umask {
 public:
  explicit Umask(mode_t mask) : old_(::umask(mask)) {}
  ~Umask() { ::umask(old_); }

 private:
  mode_t old_;
};

void write_file(const std::string& path, const std::string& content, unsigned mode) {
  std::ofstream(path) << content;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

TEST(PrivateFiles, StoreFilesAndTheFoldersMadeForThemAreOwnerOnlyWhateverTheUmask) {
  TempDir dir;
  Umask open_umask(0);
  const std::string db = dir.file("state/nested/trustgate.db");
  ManualClock clock;
  auto store = Store::open(db, clock);
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE((*store)->apply(synthetic_model({.users = 20}), store_test::options("t", "first")));
  EXPECT_EQ(mode_of(dir.file("state")), 0700u);
  EXPECT_EQ(mode_of(dir.file("state/nested")), 0700u);
  EXPECT_EQ(mode_of(db), 0600u);
  for (const char* suffix : {"-wal", "-shm"}) {
    if (std::filesystem::exists(db + suffix)) EXPECT_EQ(mode_of(db + suffix), 0600u) << suffix;
  }
}

TEST(PrivateFiles, AnExistingStoreReadableByOthersIsMadePrivateOnOpen) {
  TempDir dir;
  const std::string db = dir.file("trustgate.db");
  {
    ManualClock clock;
    ASSERT_TRUE(Store::open(db, clock));
  }
  ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
  ManualClock clock;
  ASSERT_TRUE(Store::open(db, clock));
  EXPECT_EQ(mode_of(db), 0600u);
}

TEST(PrivateFiles, TheHandoffDatabaseIsOwnerOnly) {
  TempDir dir;
  Umask open_umask(0);
  const std::string path = dir.file("trustgate.db-handoffs.db");
  auto db = GroupCommitDb::open(path);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST(PrivateFiles, ASymlinkIsNotFollowedWhenCreatingAStateFile) {
  TempDir dir;
  const std::string target = dir.file("elsewhere");
  write_file(target, "x", 0644);
  ASSERT_EQ(::symlink(target.c_str(), dir.file("link.db").c_str()), 0);
  EXPECT_FALSE(make_private_file(dir.file("link.db")));
  EXPECT_EQ(mode_of(target), 0644u);
}

TEST(PrivateFiles, ASecretReadableByOthersIsRefusedAndGroupReadableIsAccepted) {
  TempDir dir;
  const std::string secret = dir.file("client.secret");
  write_file(secret, "s3cr3t-value\n", 0644);
  auto refused = read_secret(secret);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("readable or writable by other users"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(refused.error().message.find("s3cr3t"), std::string::npos);
  ASSERT_EQ(::chmod(secret.c_str(), 0640), 0);
  auto accepted = read_secret(secret);
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(*accepted, "s3cr3t-value");
}

}  // namespace
}  // namespace trustgate
