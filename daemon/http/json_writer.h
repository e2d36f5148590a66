#pragma once
// JSON text written straight into a string, value by value, for the answers read most often
// (the drop-down, health): no document is built first (building one with Poco::JSON was a sixth
// of a read's CPU). Writes what api_json.h's to_json writes for the same values in the same
// order, byte for byte (json_writer_test.cc checks it). Misuse (a value without a key in an
// object, unbalanced ends) is a programming error: it is not checked.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trustgate {

// Appends `s` to `out` as a JSON string: quoted, with ", \ and control characters escaped;
// UTF-8 as is.
void append_json_string(std::string& out, std::string_view s);

class JsonWriter {
 public:
  JsonWriter() { out_.reserve(256); }

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);  // in an object, before its value
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& null();

  std::string take() { return std::move(out_); }

 private:
  void separate();  // the comma before a value or key that is not the first of its container

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace trustgate
