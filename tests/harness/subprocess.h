#pragma once
// Runs a program (no shell) and collects its exit code and output, for tests that drive the
// real binaries (trustgatectl) and tools.
#include <map>
#include <string>
#include <vector>

namespace trustgate::testing {

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// argv[0] is the program path (or a name looked up in PATH). `env` entries are added to (or
// replace) the inherited environment. Throws std::runtime_error when it cannot be started.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env = {});

}  // namespace trustgate::testing
