#include "daemon/private_files.h"

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

}  // namespace trustgate
