#include "daemon/http/http_response.h"

#include <Poco/Net/HTTPResponse.h>
#include <fmt/format.h>

#include <ctime>
#include <iterator>

namespace trustgate::http {

const std::string& http_date() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    cached =
        fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[tm.tm_wday], tm.tm_mday,
                    kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = now;
  }
  return cached;
}

void append_response(std::string& out, const ApiResponse& r, bool keep_alive, bool head_only) {
  const std::string& reason = Poco::Net::HTTPResponse::getReasonForStatus(
      static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "HTTP/1.1 {} {}\r\nDate: {}\r\nServer: trustgate\r\nContent-Type: {}\r\n"
                 "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
                 r.status, reason, http_date(), r.content_type);
  for (const auto& [k, v] : r.headers) fmt::format_to(it, "{}: {}\r\n", k, v);
  fmt::format_to(it, "Content-Length: {}\r\nConnection: {}\r\n\r\n", r.body.size(),
                 keep_alive ? "Keep-Alive" : "Close");
  if (!head_only) out += r.body;
}

}  // namespace trustgate::http
