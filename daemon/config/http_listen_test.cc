#include "daemon/config/http_listen.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

HttpConfig listening_on(const std::string& listen, bool tls = false) {
  HttpConfig http;
  http.listen = listen;
  if (tls) {
    http.tls_cert_file = "cert.pem";
    http.tls_key_file = "key.pem";
  }
  return http;
}

TEST(HttpListenTest, PlainHttpOnLoopbackIsAllowed) {
  for (const std::string listen : {"127.0.0.1:8470", "[::1]:8470", "127.0.0.2:0"}) {
    auto r = resolve_http_listen(listening_on(listen));
    ASSERT_TRUE(r) << listen << ": " << r.error().message;
    EXPECT_FALSE(r->tls);
  }
  auto r = resolve_http_listen(listening_on("127.0.0.1:8470"));
  EXPECT_EQ(r->host, "127.0.0.1");
  EXPECT_EQ(r->port, 8470);
}

TEST(HttpListenTest, PlainHttpOffLoopbackIsRefused) {
  for (const std::string listen : {"0.0.0.0:8470", "[::]:8470", "192.0.2.10:443"}) {
    auto r = resolve_http_listen(listening_on(listen));
    ASSERT_FALSE(r) << listen;
    EXPECT_EQ(r.error().code, "http.insecure");
    EXPECT_NE(r.error().message.find(listen), std::string::npos) << r.error().message;
  }
}

TEST(HttpListenTest, TlsMayListenAnywhere) {
  auto r = resolve_http_listen(listening_on("0.0.0.0:8443", true));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->tls);
  EXPECT_EQ(r->port, 8443);
}

TEST(HttpListenTest, ACertificateWithoutItsKeyIsNotTls) {
  HttpConfig http = listening_on("0.0.0.0:8443");
  http.tls_cert_file = "cert.pem";
  auto r = resolve_http_listen(http);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "http.insecure");
}

TEST(HttpListenTest, AnAddressThatDoesNotParseIsAListenError) {
  auto r = resolve_http_listen(listening_on("not-an-address"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "http.listen");
}

}  // namespace
}  // namespace trustgate
