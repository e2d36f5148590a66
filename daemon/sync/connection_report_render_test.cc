// The renderings of connection reports: a line per step with its timing, the failing step
// named, and JSON with typed facts.
#include "daemon/sync/connection_report_render.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <sstream>

namespace trustgate {
namespace {

ConnectionReport failed_at_tcp() {
  ConnectionReport r;
  r.source = "campus";
  r.type = "ldap";
  r.steps.push_back({"dns",
                     true,
                     "ldap.example -> 192.0.2.1",
                     std::chrono::microseconds(400),
                     {{"ldap.example", std::string("192.0.2.1")}}});
  r.steps.push_back({"tcp",
                     false,
                     "cannot connect to ldap.example: connection refused",
                     std::chrono::microseconds(1300),
                     {{"attempts", std::int64_t{2}}, {"refused", true}}});
  return r;
}

TEST(ConnectionReportRenderTest, HumanLinesNameEachStepItsOutcomeAndTiming) {
  std::ostringstream out;
  print_connection_report(out, failed_at_tcp());
  EXPECT_EQ(out.str(),
            "source campus (ldap)\n"
            "  ok    dns       ldap.example -> 192.0.2.1  (0.4 ms)\n"
            "  FAIL  tcp       cannot connect to ldap.example: connection refused  (1.3 ms)\n"
            "FAILED at tcp\n");
}

TEST(ConnectionReportRenderTest, APassedReportSaysSo) {
  ConnectionReport r = failed_at_tcp();
  r.steps.pop_back();
  std::ostringstream out;
  print_connection_report(out, r);
  EXPECT_TRUE(out.str().ends_with("\npassed\n")) << out.str();
}

TEST(ConnectionReportRenderTest, JsonCarriesEveryStepWithTypedFacts) {
  Poco::JSON::Parser parser;
  auto root =
      parser.parse(connection_reports_json({failed_at_tcp()})).extract<Poco::JSON::Object::Ptr>();
  EXPECT_FALSE(root->getValue<bool>("passed"));
  auto source = root->getArray("sources")->getObject(0);
  EXPECT_EQ(source->getValue<std::string>("source"), "campus");
  EXPECT_EQ(source->getValue<std::string>("failed_step"), "tcp");
  auto steps = source->getArray("steps");
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_TRUE(steps->getObject(0)->getValue<bool>("ok"));
  EXPECT_DOUBLE_EQ(steps->getObject(0)->getValue<double>("ms"), 0.4);
  auto tcp = steps->getObject(1);
  EXPECT_FALSE(tcp->getValue<bool>("ok"));
  EXPECT_EQ(tcp->getValue<std::string>("detail"),
            "cannot connect to ldap.example: connection refused");
  EXPECT_TRUE(tcp->getObject("facts")->get("attempts").isInteger());
  EXPECT_EQ(tcp->getObject("facts")->getValue<int>("attempts"), 2);
  EXPECT_TRUE(tcp->getObject("facts")->get("refused").isBoolean());
}

TEST(ConnectionReportRenderTest, APassedReportHasANullFailedStep) {
  ConnectionReport r = failed_at_tcp();
  r.steps.pop_back();
  Poco::JSON::Parser parser;
  auto source = parser.parse(connection_report_json(r)).extract<Poco::JSON::Object::Ptr>();
  EXPECT_TRUE(source->getValue<bool>("passed"));
  EXPECT_TRUE(source->isNull("failed_step"));
}

}  // namespace
}  // namespace trustgate
