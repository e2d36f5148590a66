#pragma once
// What every trustgatectl verb gets: the global options, output streams and the loaders of the
// config and the store that tell the operator what went wrong.
#include <iostream>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"
#include "ctl/exit_codes.h"
#include "daemon/config/config_loader.h"
#include "daemon/store/store.h"
#include "mapping/user_key.h"

namespace trustgate::ctl {

struct Context {
  std::string config_path = "/etc/trustgate/trustgate.toml";  // or --config, $TRUSTGATE_CONFIG
  bool json = false;  // --json: stdout carries one JSON document
  std::ostream& out = std::cout;
  std::ostream& err = std::cerr;
  SystemClock clock;
  mutable SecureRandom random;  // decision ids of the audit rows trustgatectl writes

  // Who is running trustgatectl, for the history and the audit trail:
  // "trustgatectl:<login>" ($SUDO_USER, else $USER, else the uid).
  std::string operator_id() const;

  // Loads and validates the config; prints every issue and gives kExitUsage on failure.
  OrExit<Config> load() const;
  // Opens the store named by the config; prints why and gives kExitUnavailable when it cannot.
  OrExit<std::unique_ptr<Store>> open_store(const Config& config) const;
  // Whether `err` is the process's stderr and that is a terminal (a progress bar is drawn
  // there; a pipe or the journal gets plain lines).
  bool err_is_terminal() const;
  // Prints "trustgatectl: <message>" and returns `code`.
  int fail(int code, std::string_view message) const;
};

// The user `found` holds, or nullptr after telling the operator that `key` (the spelling they
// gave: "id:<stable id>" or a username) names nobody or several users.
const User* named_user(const Context& ctx, const UserLookup& found, std::string_view key);

}  // namespace trustgate::ctl
