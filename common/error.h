#pragma once
// Errors as values at module edges: every fallible operation that crosses a module boundary
// returns std::expected<T, Error>. Exceptions from Poco, SQLite or libldap are caught inside
// the adapter that calls them and turned into an Error.
#include <expected>
#include <string>
#include <utility>

namespace trustgate {

struct Error {
  std::string code;     // stable, machine-readable: "config.invalid", "store.io", ...
  std::string message;  // for humans; never contains secrets or ticket values
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string code, std::string message) {
  return std::unexpected<Error>(Error{std::move(code), std::move(message)});
}

}  // namespace trustgate
