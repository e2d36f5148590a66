// JsonWriter writes what to_json writes for the same document (the oracle), byte for byte:
// random documents of objects, arrays, strings (quotes, backslashes, control characters,
// UTF-8), integers, booleans and nulls, many seeds.
#include "daemon/http/json_writer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "daemon/http/api_json.h"

namespace trustgate {
namespace {

std::string random_text(std::mt19937_64& rng) {
  static const std::string kPieces[] = {"a",
                                        "Z",
                                        "0",
                                        " ",
                                        "\"",
                                        "\\",
                                        "/",
                                        "\n",
                                        "\r",
                                        "\t",
                                        "\b",
                                        "\f",
                                        std::string(1, '\0'),
                                        "\x01",
                                        "\x1f",
                                        "\x7f",
                                        "é",
                                        "€",
                                        "😀",
                                        "key"};
  std::string s;
  for (int n = static_cast<int>(rng() % 8); n > 0; --n) s += kPieces[rng() % std::size(kPieces)];
  return s;
}

// Fills `w` and returns the same value as Poco would hold it.
Poco::Dynamic::Var random_value(std::mt19937_64& rng, JsonWriter& w, int depth);

Poco::JSON::Object::Ptr random_object(std::mt19937_64& rng, JsonWriter& w, int depth) {
  auto o = json_object();
  w.begin_object();
  for (int n = static_cast<int>(rng() % 5); n > 0; --n) {
    std::string k = random_text(rng) + std::to_string(n);  // distinct keys
    w.key(k);
    o->set(k, random_value(rng, w, depth + 1));
  }
  w.end_object();
  return o;
}

Poco::Dynamic::Var random_value(std::mt19937_64& rng, JsonWriter& w, int depth) {
  switch (rng() % (depth > 3 ? 4 : 6)) {
    case 0: {
      std::string s = random_text(rng);
      w.value(s);
      return s;
    }
    case 1: {
      const auto n = static_cast<std::int64_t>(rng()) >> (rng() % 64);
      w.value(n);
      return n;
    }
    case 2: {
      const bool b = rng() % 2;
      w.value(b);
      return b;
    }
    case 3:
      w.null();
      return Poco::Dynamic::Var();
    case 4: {
      Poco::JSON::Array::Ptr a = new Poco::JSON::Array();
      w.begin_array();
      for (int n = static_cast<int>(rng() % 4); n > 0; --n) a->add(random_value(rng, w, depth + 1));
      w.end_array();
      return a;
    }
    default:
      return random_object(rng, w, depth);
  }
}

TEST(JsonWriter, WritesWhatToJsonWritesForTheSameDocument) {
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    std::mt19937_64 rng(seed);
    JsonWriter w;
    const auto doc = random_object(rng, w, 0);
    ASSERT_EQ(w.take(), to_json(doc)) << "seed " << seed;
  }
}

TEST(JsonWriter, EscapesWhatJsonRequires) {
  JsonWriter w;
  w.begin_object().key("a\"b").value(std::string_view("\\\n\x01\x7f\0", 5)).end_object();
  EXPECT_EQ(w.take(), R"({"a\"b":"\\\n\u0001\u007f\u0000"})");
}

}  // namespace
}  // namespace trustgate
