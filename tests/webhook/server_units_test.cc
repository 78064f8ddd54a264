// Pieces of the server that are best proven in-process, on the real
// cpp-httplib: exception handling, durations, the elastic pool.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <limits>
#include <thread>

#include "webhook/admission_server.h"
#include "webhook/elastic_pool.h"
#include "webhook/log.h"
#include "webhook/net.h"

namespace seiguard {
namespace {

using namespace std::chrono_literals;

TEST(InstallErrorHandling, NeverEchoesExceptionText) {
  httplib::Server server;
  Metrics metrics;
  server.Get("/std", [](const httplib::Request&, httplib::Response&) {
    throw std::runtime_error("secret detail from deep inside");
  });
  server.Get("/int", [](const httplib::Request&, httplib::Response&) { throw 42; });
  InstallErrorHandling(server, &metrics);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  httplib::Client client("127.0.0.1", port);
  for (const char* path : {"/std", "/int"}) {
    auto res = client.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 500) << path;
    EXPECT_EQ(res->body, "internal error\n");
    EXPECT_FALSE(res->has_header("EXCEPTION_WHAT")) << path << ": " << res->get_header_value("EXCEPTION_WHAT");
    for (const auto& [k, v] : res->headers) EXPECT_EQ(v.find("secret"), std::string::npos) << k;
  }
  server.stop();
  t.join();
  EXPECT_NE(metrics.Render("t").find("seiguard_http_refusals_total{code=\"500\"} 2"), std::string::npos);
}

TEST(ParseGoDuration, ReadsWhatTheApiServerSends) {
  std::chrono::milliseconds d;
  ASSERT_TRUE(ParseGoDuration("10s", &d));
  EXPECT_EQ(d, 10000ms);
  ASSERT_TRUE(ParseGoDuration("1m30s", &d));
  EXPECT_EQ(d, 90000ms);
  ASSERT_TRUE(ParseGoDuration("500ms", &d));
  EXPECT_EQ(d, 500ms);
  ASSERT_TRUE(ParseGoDuration("1.5s", &d));
  EXPECT_EQ(d, 1500ms);
  EXPECT_FALSE(ParseGoDuration("", &d));
  EXPECT_FALSE(ParseGoDuration("10", &d));
  EXPECT_FALSE(ParseGoDuration("10parsecs", &d));
  EXPECT_FALSE(ParseGoDuration("-1s", &d));
}

TEST(ReadEdgeHeaders, AnyCaseAndTheFirstOfARepeat) {
  httplib::Headers headers{{"accept", "*/*"},
                           {"CONTENT-TYPE", "application/json"},
                           {"content-length", "12"},
                           {"Content-Length", "99"},
                           {"User-Agent", "kube-apiserver-admission"}};
  EdgeHeaders h = ReadEdgeHeaders(headers);
  ASSERT_NE(h.content_type, nullptr);
  EXPECT_EQ(*h.content_type, "application/json");
  ASSERT_NE(h.content_length, nullptr);
  EXPECT_EQ(*h.content_length, "12");  // what cpp-httplib's get_header_value returns too
  httplib::Request req;
  req.headers = headers;
  EXPECT_EQ(*h.content_length, req.get_header_value("Content-Length"));
  EXPECT_FALSE(h.transfer_encoding);

  headers.emplace("transfer-ENCODING", "chunked");
  EXPECT_TRUE(ReadEdgeHeaders(headers).transfer_encoding);

  // Near misses are not matches.
  EdgeHeaders none = ReadEdgeHeaders({{"Content-Types", "application/json"},
                                      {"Content-Lengt", "1"},
                                      {"X-Transfer-Encoding", "chunked"}});
  EXPECT_EQ(none.content_type, nullptr);
  EXPECT_EQ(none.content_length, nullptr);
  EXPECT_FALSE(none.transfer_encoding);
}

TEST(IsJsonMediaType, IgnoresParametersBlanksAndCaseOnly) {
  EXPECT_TRUE(IsJsonMediaType("application/json"));
  EXPECT_TRUE(IsJsonMediaType("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(IsJsonMediaType(" \tapplication/json ;q=1"));
  EXPECT_FALSE(IsJsonMediaType(""));
  EXPECT_FALSE(IsJsonMediaType("application/json-patch+json"));
  EXPECT_FALSE(IsJsonMediaType("application/jsonx"));
  EXPECT_FALSE(IsJsonMediaType("text/plain; application/json"));
  EXPECT_FALSE(IsJsonMediaType("application/yaml"));
  // Only ASCII letters fold: a byte above 0x7f never matches a letter.
  EXPECT_FALSE(IsJsonMediaType("application/js\xcfn"));
}

TEST(LogField, NumbersReadAsPrintfPercentSixGWould) {
  for (double v : {0.0, 1.0, -2.25, 0.5, 1e-7, 0.0001234567, 12.3456789, 999999.5, 1234567.0,
                   123456789.0, 1.5e300, 4.9e-324, std::numeric_limits<double>::infinity()}) {
    char want[64];
    std::snprintf(want, sizeof want, "%.6g", v);
    LogField f = Num("k", v);
    EXPECT_EQ(f.value(), want) << v;
    EXPECT_FALSE(f.quoted());
  }
  EXPECT_EQ(Bool("b", true).value(), "true");
  EXPECT_EQ(LogField("k", "v").value(), "v");
}

TEST(ParseHostPort, AcceptsTheUsualForms) {
  EXPECT_EQ(ParseHostPort("0.0.0.0:9443")->port, 9443);
  EXPECT_EQ(ParseHostPort(":8080")->host, "");
  EXPECT_EQ(ParseHostPort("[::1]:0")->host, "::1");
  EXPECT_FALSE(ParseHostPort("nowhere").ok());
  EXPECT_FALSE(ParseHostPort("host:70000").ok());
  EXPECT_FALSE(ParseHostPort("host:12ab").ok());
}

TEST(ElasticPool, GrowsPastBusyThreadsAndShrinksBack) {
  ElasticPool pool(2, 64, 1s);
  std::atomic<int> running{0};
  std::atomic<bool> release{false};
  for (int i = 0; i < 40; ++i) {
    pool.enqueue([&] {
      ++running;
      while (!release) std::this_thread::sleep_for(1ms);
    });
  }
  // Forty blocked tasks: forty threads, none waiting behind another.
  for (int i = 0; i < 2000 && running < 40; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(running.load(), 40);
  std::atomic<bool> quick{false};
  pool.enqueue([&] { quick = true; });
  for (int i = 0; i < 1000 && !quick; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(quick.load()) << "a new task must not wait behind busy ones";
  release = true;
  for (int i = 0; i < 3000 && pool.threads() > 2; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(pool.threads(), 2u);
  pool.shutdown();
  EXPECT_EQ(pool.threads(), 0u);
}

TEST(ElasticPool, StopsGrowingAtItsCap) {
  ElasticPool pool(1, 4, 1s);
  std::atomic<bool> release{false};
  std::atomic<int> running{0};
  for (int i = 0; i < 10; ++i) {
    pool.enqueue([&] {
      ++running;
      while (!release) std::this_thread::sleep_for(1ms);
    });
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(pool.threads(), 4u);
  EXPECT_EQ(running.load(), 4);
  release = true;
  pool.shutdown();
  EXPECT_EQ(running.load(), 10);  // queued work still ran
}

}  // namespace
}  // namespace seiguard
