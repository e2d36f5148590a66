// The audit checkpoint's key file: 32 random bytes, hex, in a private file beside the handoff
// database; made on first use, never logged.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/private_files.h"
#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/secret_digest.h"

namespace trustgate {
namespace {

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace

Result<std::optional<std::string>> read_audit_key(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return fail("audit.key", fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  if (const std::string problem = secret_file_problem(fd); !problem.empty()) {
    ::close(fd);
    return fail("audit.key", fmt::format("refusing the audit key {}: {}", path, problem));
  }
  char buf[256];
  std::string text;
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > 256) break;
  }
  ::close(fd);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = hex_decode(text);
  if (n < 0 || !key || key->size() != 32) {
    return fail("audit.key", fmt::format("{} is not an audit key (64 hex digits)", path));
  }
  return std::optional<std::string>(std::move(*key));
}

Result<std::string> load_or_create_audit_key(const std::string& path, RandomSource& random) {
  auto existing = read_audit_key(path);
  if (!existing) return std::unexpected(existing.error());
  if (*existing) return **existing;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {  // another process made it meanwhile
      auto again = read_audit_key(path);
      if (!again) return std::unexpected(again.error());
      if (*again) return **again;
    }
    return fail("audit.key", fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  }
  std::array<std::uint8_t, 32> bytes{};
  random.fill(bytes);
  const std::string text = to_hex(bytes) + "\n";
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return fail("audit.key", fmt::format("cannot write {}: {}", path, std::strerror(err)));
  }
  spdlog::info("audit: created the checkpoint key {}", path);
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace trustgate
