#include "daemon/sync/connection_report_render.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <fmt/format.h>

#include <sstream>

namespace trustgate {
namespace {

double milliseconds(const ConnectionStep& s) {
  return static_cast<double>(s.elapsed.count()) / 1000.0;
}

Poco::JSON::Object::Ptr report_object(const ConnectionReport& report) {
  Poco::JSON::Object::Ptr root = new Poco::JSON::Object;
  root->set("source", report.source);
  root->set("type", report.type);
  root->set("passed", report.passed());
  const ConnectionStep* failed = report.failed_step();
  if (failed) {
    root->set("failed_step", failed->name);
  } else {
    root->set("failed_step", Poco::Dynamic::Var());
  }
  Poco::JSON::Array::Ptr steps = new Poco::JSON::Array;
  for (const auto& s : report.steps) {
    Poco::JSON::Object::Ptr step = new Poco::JSON::Object;
    step->set("name", s.name);
    step->set("ok", s.ok);
    step->set("detail", s.detail);
    step->set("ms", milliseconds(s));
    Poco::JSON::Object::Ptr facts = new Poco::JSON::Object;
    for (const auto& [key, value] : s.facts) {
      std::visit([&, &key = key](const auto& v) { facts->set(key, v); }, value);
    }
    step->set("facts", facts);
    steps->add(step);
  }
  root->set("steps", steps);
  return root;
}

std::string stringify(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out);
  return out.str();
}

}  // namespace

void print_connection_report(std::ostream& out, const ConnectionReport& report) {
  out << "source " << report.source << " (" << report.type << ")\n";
  for (const auto& s : report.steps) {
    out << fmt::format("  {:<5} {:<9} {}  ({:.1f} ms)\n", s.ok ? "ok" : "FAIL", s.name, s.detail,
                       milliseconds(s));
  }
  if (const ConnectionStep* failed = report.failed_step()) {
    out << "FAILED at " << failed->name << "\n";
  } else if (report.passed()) {
    out << "passed\n";
  }
}

std::string connection_report_json(const ConnectionReport& report) {
  return stringify(report_object(report));
}

std::string connection_reports_json(const std::vector<ConnectionReport>& reports) {
  Poco::JSON::Object root;
  bool passed = !reports.empty();
  Poco::JSON::Array sources;
  for (const auto& r : reports) {
    passed = passed && r.passed();
    sources.add(report_object(r));
  }
  root.set("passed", passed);
  root.set("sources", sources);
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(root, out);
  return out.str();
}

}  // namespace trustgate
