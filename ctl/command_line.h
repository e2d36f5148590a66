#pragma once
// trustgatectl's command line, on CLI11: the global options (--config, --json, --help,
// --version), then one verb with its own options, arguments and --help. An unknown verb or
// option, a stray argument, a missing one or a bad value is refused with kExitUsage and a message
// naming the word, before anything is read.
#include "ctl/context.h"

namespace trustgate::ctl {

// Parses `argv` onto `ctx` and the verb's arguments, runs the verb and returns the exit code
// (exit_codes.h). --help and --version print to ctx.out and return kExitOk. Never throws.
int run_command_line(Context& ctx, int argc, const char* const* argv);

}  // namespace trustgate::ctl
