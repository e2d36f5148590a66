#include "ctl/context.h"

#include <unistd.h>

#include <cstdlib>

namespace trustgate::ctl {

OrExit<Config> Context::load() const {
  ConfigLoad loaded = load_config(config_path);
  if (!loaded.config) {
    for (const auto& issue : loaded.issues) err << format_issue(issue) << '\n';
    err << loaded.issues.size() << " error(s) in the configuration\n";
    return exit_with(kExitUsage);
  }
  return std::move(*loaded.config);
}

OrExit<std::unique_ptr<Store>> Context::open_store(const Config& config) const {
  auto store = Store::open(config.database, clock);
  if (!store) return exit_with(fail(kExitUnavailable, store.error().message));
  return std::move(*store);
}

std::string Context::operator_id() const {
  const char* user = std::getenv("SUDO_USER");
  if (user == nullptr || *user == '\0') user = std::getenv("USER");
  return std::string("trustgatectl:") +
         (user != nullptr && *user != '\0' ? user : std::to_string(getuid()));
}

bool Context::err_is_terminal() const { return &err == &std::cerr && isatty(STDERR_FILENO) == 1; }

int Context::fail(int code, std::string_view message) const {
  err << "trustgatectl: " << message << '\n';
  return code;
}

const User* named_user(const Context& ctx, const UserLookup& found, std::string_view key) {
  switch (found.status) {
    case UserLookup::Status::Found:
      return found.user;
    case UserLookup::Status::Ambiguous:
      ctx.err << "trustgatectl: ambiguous username '" << key
              << "': several users have it; name one by id:<stable id> (see 'users')\n";
      return nullptr;
    case UserLookup::Status::Unknown:
      break;
  }
  ctx.err << "trustgatectl: unknown user '" << key << "'\n";
  return nullptr;
}

}  // namespace trustgate::ctl
