// RequestReader: requests read from bytes in any pieces read exactly as the same bytes at once
// (the oracle: the whole stream in one piece), over random streams of well-formed, pipelined and
// malformed requests, many seeds; and the steps the edge relies on.
#include "daemon/http/request_reader.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "daemon/http/request_transcript.h"

namespace trustgate::http {
namespace {

constexpr std::size_t kMaxBody = 512;

// A random stream of requests: plain GETs, Content-Length and chunked bodies (extensions,
// trailers), 100-continue, leading empty lines, Connection: close, HTTP/1.0, bodies over the
// limit, and now and then a damaged byte, a bare LF or a cut.
std::string random_stream(std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto word = [&](int max_len) {
    std::string w;
    const int n = 1 + pick(max_len);
    for (int i = 0; i < n; ++i) w += static_cast<char>('a' + pick(26));
    return w;
  };
  std::string s;
  const int requests = 1 + pick(5);
  for (int r = 0; r < requests; ++r) {
    if (pick(6) == 0) s += "\r\n";
    const int kind = pick(4);
    const char* method = kind == 0 ? "GET" : "POST";
    s += std::string(method) + " /v1/" + word(12) + (pick(3) == 0 ? "?q=" + word(5) : "") +
         (pick(10) == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
    s += "Host: 127.0.0.1\r\n";
    for (int f = pick(4); f > 0; --f)
      s += "X-" + word(8) + ":" + (pick(2) ? " " : "") + word(20) + "\r\n";
    if (pick(8) == 0) s += "Connection: close\r\n";
    if (kind != 0 && pick(4) == 0) s += "Expect: 100-continue\r\n";
    std::string body;
    if (kind == 1 || kind == 3) {
      const std::size_t n = pick(8) == 0 ? kMaxBody + 1 + pick(100) : pick(200);
      body.assign(n, 'b');
      s += "Content-Length: " + std::to_string(n) + "\r\n\r\n" + body;
    } else if (kind == 2) {
      s += "Transfer-Encoding: chunked\r\n\r\n";
      for (int c = pick(4); c > 0; --c) {
        const int n = 1 + pick(pick(6) == 0 ? 400 : 40);
        char size[16];
        std::snprintf(size, sizeof size, pick(2) ? "%x" : "%X", n);
        s += std::string(size) + (pick(4) == 0 ? ";ext=" + word(4) : "") + "\r\n" +
             std::string(n, 'c') + "\r\n";
      }
      s += "0\r\n";
      if (pick(3) == 0) s += "Trailer-" + word(5) + ": " + word(5) + "\r\n";
      s += "\r\n";
    } else {
      s += "\r\n";
    }
  }
  switch (pick(6)) {  // damage
    case 0:
      s[rng() % s.size()] = static_cast<char>(rng() % 256);
      break;
    case 1:
      s.insert(rng() % s.size(), "\n");
      break;
    case 2:
      s.resize(rng() % s.size());
      break;
    default:
      break;
  }
  return s;
}

TEST(RequestReader, AnySplitIntoReadsReadsAsTheWholeStreamAtOnce) {
  int refused = 0, requests = 0;
  for (std::uint64_t seed = 1; seed <= 3000; ++seed) {
    std::mt19937_64 rng(seed);
    const std::string stream = random_stream(rng);
    const std::string whole = request_transcript(stream, {}, kMaxBody, 16);
    const std::array<std::size_t, 1> bytes = {1};
    ASSERT_EQ(request_transcript(stream, bytes, kMaxBody, 16), whole)
        << "seed " << seed << ", byte by byte, stream:\n"
        << stream;
    std::vector<std::size_t> pieces(1 + rng() % 8);
    for (auto& p : pieces) p = 1 + rng() % 64;
    ASSERT_EQ(request_transcript(stream, pieces, kMaxBody, 16), whole)
        << "seed " << seed << ", random pieces, stream:\n"
        << stream;
    refused += whole.find("refused") != std::string::npos;
    for (std::size_t at = whole.find("request "); at != std::string::npos;
         at = whole.find("request ", at + 1)) {
      ++requests;
    }
  }
  // The generator reaches both outcomes often (a test that never refuses proves little).
  EXPECT_GT(refused, 300);
  EXPECT_GT(requests, 3000);
}

TEST(RequestReader, PipelinedRequestsInOneReadAreReadInOrder) {
  const std::string stream =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /c HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestReader reader(kMaxBody);
  reader.append(stream);
  std::vector<std::string> seen;
  while (reader.next() == RequestReader::Step::kRequest) {
    ReadRequest r = reader.take();
    seen.push_back(r.head.target + ":" + r.body);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"/a:", "/b:abc", "/c:"}));
  EXPECT_EQ(reader.phase(), RequestReader::Phase::kIdle);
}

TEST(RequestReader, PhaseFollowsTheRequestForItsDeadlines) {
  RequestReader reader(kMaxBody);
  EXPECT_EQ(reader.phase(), RequestReader::Phase::kIdle);
  reader.append("\r\n");
  EXPECT_EQ(reader.next(), RequestReader::Step::kNeedMore);
  EXPECT_EQ(reader.phase(), RequestReader::Phase::kIdle);  // empty lines start no request
  reader.append("POST / HTTP/1.1\r\nHost: x\r\n");
  EXPECT_EQ(reader.next(), RequestReader::Step::kNeedMore);
  EXPECT_EQ(reader.phase(), RequestReader::Phase::kHead);
  reader.append("Expect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(reader.next(), RequestReader::Step::kContinue);
  EXPECT_EQ(reader.next(), RequestReader::Step::kNeedMore);
  EXPECT_EQ(reader.phase(), RequestReader::Phase::kBody);
  reader.append("ok");
  EXPECT_EQ(reader.next(), RequestReader::Step::kRequest);
  EXPECT_EQ(reader.take().body, "ok");
  EXPECT_EQ(reader.phase(), RequestReader::Phase::kIdle);
}

TEST(RequestReader, AHeadOverItsLimitIsRefusedHoweverItArrives) {
  std::string stream = "GET / HTTP/1.1\r\n";
  while (stream.size() < 70 * 1024) stream += "X-Filler: " + std::string(1000, 'f') + "\r\n";
  stream += "\r\n";
  const std::string whole = request_transcript(stream, {}, kMaxBody, 16);
  EXPECT_EQ(whole, "refused 431 headers_too_large\n");
  const std::array<std::size_t, 1> pieces = {4096};
  EXPECT_EQ(request_transcript(stream, pieces, kMaxBody, 16), whole);
}

TEST(RequestReader, BodyOverTheLimitIsNotReadAndSaysSo) {
  RequestReader reader(kMaxBody);
  reader.append("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
  ASSERT_EQ(reader.next(), RequestReader::Step::kRequest);
  const ReadRequest r = reader.take();
  EXPECT_TRUE(r.body_too_large);
  EXPECT_TRUE(r.body.empty());
}

}  // namespace
}  // namespace trustgate::http
