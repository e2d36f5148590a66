#include "daemon/http/api_json.h"

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <sstream>

namespace trustgate {
namespace {

// Poco's own rendering of `v`, the reference for to_json.
std::string poco_json(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out);
  return out.str();
}

Poco::JSON::Object::Ptr sample() {
  auto o = json_object();
  o->set("zeta", "first key, kept first");
  o->set("quote", std::string("a \"quoted\" \\ back\\slash /slash"));
  o->set("controls",
         std::string("nl\n cr\r tab\t bs\b ff\f nul") + std::string(1, '\0') + "\x01\x1f\x7f end");
  o->set("utf8", "Ysgol Gymraeg Aberystwyth \xE2\x80\x94 \xC3\xA9\xF0\x9F\x98\x80");
  o->set("empty", "");
  o->set("null", Poco::Dynamic::Var());
  o->set("yes", true);
  o->set("no", false);
  o->set("int", static_cast<std::int64_t>(-9'223'372'036'854'775'807 - 1));
  o->set("uint", static_cast<std::uint64_t>(18'446'744'073'709'551'615ULL));
  o->set("small", 42);
  o->set("double", 2.5);
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  arr->add("x");
  arr->add(1);
  arr->add(Poco::Dynamic::Var());
  auto inner = json_object();
  inner->set("b", "2");
  inner->set("a", "1");
  arr->add(inner);
  arr->add(Poco::JSON::Array::Ptr(new Poco::JSON::Array()));
  o->set("array", arr);
  o->set("object", json_object());
  return o;
}

TEST(ApiJson, ToJsonMeansWhatPocoMeansAndKeepsInsertionOrder) {
  const auto o = sample();
  const std::string text = to_json(o);
  // Parsed back, it is the same value: Poco renders the parse exactly as the original.
  Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));  // keeps key order
  parser.setAllowNullByte(true);
  const Poco::Dynamic::Var back = parser.parse(text);
  auto reparsed = back.extract<Poco::JSON::Object::Ptr>();
  ASSERT_TRUE(reparsed);
  for (const auto& name : o->getNames()) {
    EXPECT_EQ(poco_json(reparsed->get(name)), poco_json(o->get(name))) << name;
  }
  EXPECT_EQ(reparsed->size(), o->size());
  // Insertion order, not key order.
  EXPECT_LT(text.find("\"zeta\""), text.find("\"quote\""));
  EXPECT_LT(text.find("\"b\":\"2\""), text.find("\"a\":\"1\""));
}

TEST(ApiJson, StringsAreEscapedAsJsonRequiresAndNothingElse) {
  auto o = json_object();
  o->set("s", std::string("\"\\\n") + std::string(1, '\0') + "\x1f/\xC3\xA9");
  EXPECT_EQ(to_json(o), "{\"s\":\"\\\"\\\\\\n\\u0000\\u001f/\xC3\xA9\"}");
}

TEST(ApiJson, ScalarsAndEmptyContainers) {
  auto o = json_object();
  o->set("n", Poco::Dynamic::Var());
  o->set("t", true);
  o->set("i", -7);
  o->set("a", Poco::JSON::Array::Ptr(new Poco::JSON::Array()));
  o->set("o", json_object());
  EXPECT_EQ(to_json(o), R"({"n":null,"t":true,"i":-7,"a":[],"o":{}})");
}

TEST(ApiJson, ErrorResponsesKeepTheirShape) {
  auto extra = json_object();
  extra->set("reason", "not_associated");
  const ApiResponse r = error_response(403, "access_denied", "no", extra);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body,
            R"({"error":{"code":"access_denied","message":"no","reason":"not_associated"}})");
}

}  // namespace
}  // namespace trustgate
