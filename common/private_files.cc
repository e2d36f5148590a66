#include "common/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace trustgate {

Result<void> make_private_directories(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path p = dir; !p.empty(); p = p.parent_path()) {
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) break;
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    // mkdir's mode is masked by the umask; chmod sets exactly 0700.
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return fail("state.mkdir",
                  fmt::format("cannot create {}: {}", it->string(), std::strerror(errno)));
    }
    if (::chmod(it->c_str(), 0700) != 0) {
      return fail("state.mkdir",
                  fmt::format("cannot make {} private: {}", it->string(), std::strerror(errno)));
    }
  }
  return {};
}

Result<void> make_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail("state.file",
                fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  struct stat st {};
  int rc = ::fstat(fd, &st);
  if (rc == 0 && (st.st_mode & 0077) != 0) rc = ::fchmod(fd, st.st_mode & 0700);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return fail("state.file",
                fmt::format("cannot make {} private: {}", path.string(), std::strerror(err)));
  }
  return {};
}

Result<void> make_private_database_file(const std::string& sqlite_path) {
  if (sqlite_path.empty() || sqlite_path == ":memory:" || sqlite_path.starts_with("file:")) {
    return {};
  }
  return make_private_file(sqlite_path);
}

std::string secret_file_problem(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fmt::format("cannot stat it: {}", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return "it is not a regular file";
  if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    return fmt::format("it is readable or writable by other users (mode {:04o}); chmod o-rwx it",
                       st.st_mode & 07777);
  }
  return {};
}

namespace {
// A secret is a password or an API client secret: anything this large is the wrong file.
constexpr std::size_t kMaxSecretBytes = 64 * 1024;
}  // namespace

Result<std::string> read_secret(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail("config.secret",
                fmt::format("cannot open secret file {}: {}", path, std::strerror(errno)));
  }
  if (const std::string problem = secret_file_problem(fd); !problem.empty()) {
    ::close(fd);
    return fail("config.secret", fmt::format("refusing secret file {}: {}", path, problem));
  }
  std::string content;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) content.append(buf, static_cast<std::size_t>(n));
    if (content.size() > kMaxSecretBytes) break;
  }
  const bool failed = n < 0;
  ::close(fd);
  if (failed) return fail("config.secret", fmt::format("cannot read secret file {}", path));
  if (content.size() > kMaxSecretBytes) {
    return fail("config.secret",
                fmt::format("secret file {} is larger than {} bytes", path, kMaxSecretBytes));
  }
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.pop_back();
  }
  if (content.empty()) return fail("config.secret", fmt::format("secret file {} is empty", path));
  return content;
}

}  // namespace trustgate
