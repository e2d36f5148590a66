#pragma once
// State and secret files are private to the daemon's user whatever the caller's umask: the
// stores hold the access table and the audit log (who logged in where), so nobody else may
// read them, and a secret that others can read is refused rather than used.
#include <filesystem>
#include <string>

#include "common/error.h"

namespace trustgate {

// Creates `dir` and any missing parents; the folders it creates are 0700. An existing folder
// is left as it is (it may be shared, e.g. a temp folder above the state folder).
// Fails ("state.mkdir") when a folder cannot be created.
Result<void> make_private_directories(const std::filesystem::path& dir);

// Makes sure the file `path` exists with mode 0600: creates it 0600 (not through a symlink)
// when missing, and takes away group and other bits when it exists with them. SQLite gives its
// -wal, -shm and -journal files the mode of the database file, so calling this before SQLite
// opens a database keeps all of them private. Fails ("state.file") on any error.
Result<void> make_private_file(const std::filesystem::path& path);

// make_private_file() for a SQLite database name; SQLite's in-memory and URI names (":memory:",
// "", "file:...") are left to SQLite.
Result<void> make_private_database_file(const std::string& sqlite_path);

// "" when a secret file opened as `fd` is fine; else why not: readable or writable by other
// users (group access is allowed: root:trustgate 0640 is a common layout).
std::string secret_file_problem(int fd);

// Reads a secret file (trailing newline stripped), refusing one that other users may read or
// write (secret_file_problem). Errors ("config.secret") never include the content.
Result<std::string> read_secret(const std::string& path);

}  // namespace trustgate
