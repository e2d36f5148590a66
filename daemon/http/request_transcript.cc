#include "daemon/http/request_transcript.h"

#include <fmt/format.h>

#include <algorithm>

#include "daemon/http/request_reader.h"

namespace trustgate::http {

std::string request_transcript(std::string_view stream, std::span<const std::size_t> pieces,
                               std::size_t max_body_bytes, int max_requests) {
  RequestReader reader(max_body_bytes);
  std::string out;
  std::size_t sent = 0;
  std::size_t piece = 0;
  int requests = 0;
  while (true) {
    const RequestReader::Step step = reader.next();
    switch (step) {
      case RequestReader::Step::kNeedMore: {
        if (sent == stream.size()) {
          fmt::format_to(std::back_inserter(out), "end phase={} buffered={}\n",
                         static_cast<int>(reader.phase()), reader.buffered());
          return out;
        }
        const std::size_t want = pieces.empty() ? stream.size() : pieces[piece++ % pieces.size()];
        const std::size_t n = std::min(std::max<std::size_t>(want, 1), stream.size() - sent);
        reader.append(stream.substr(sent, n));
        sent += n;
        break;
      }
      case RequestReader::Step::kContinue:
        out += "100-continue\n";
        break;
      case RequestReader::Step::kRefused:
        fmt::format_to(std::back_inserter(out), "refused {} {}\n", reader.refusal().status,
                       reader.refusal().code);
        return out;
      case RequestReader::Step::kRequest: {
        const ReadRequest r = reader.take();
        fmt::format_to(std::back_inserter(out), "request {} {} HTTP/1.{} fields={}", r.head.method,
                       r.head.target, r.head.minor, r.head.fields.size());
        for (const auto& [k, v] : r.head.fields)
          fmt::format_to(std::back_inserter(out), " [{}: {}]", k, v);
        fmt::format_to(std::back_inserter(out), " body={} too_large={}\n", r.body.size(),
                       r.body_too_large);
        out += r.body;
        out += "\n";
        if (r.body_too_large || !r.head.keep_alive() || ++requests >= max_requests) return out;
        break;
      }
    }
  }
}

}  // namespace trustgate::http
