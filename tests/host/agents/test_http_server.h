// A small threaded HTTP/1.1 server on 127.0.0.1 (an ephemeral port) for the agent runtime
// tests: it records each request (method, path, headers, body) and answers from a scripted
// list of responses (status, headers, body, an optional delay before answering). Every
// response closes its connection. When the script runs out it answers 500.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace lokust::host::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct RecordedRequest {
  std::string method;
  std::string path;
  Headers headers;
  std::string body;
  // Case-insensitive; the first one of that name.
  std::optional<std::string> header(std::string_view name) const;
};

struct ScriptedResponse {
  int status = 200;
  Headers headers;
  std::string body;
  std::chrono::milliseconds delay{0};
  // Close the connection without answering (after the delay).
  bool hang_up = false;
};

class TestHttpServer {
 public:
  TestHttpServer();
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  bool listening() const { return listen_fd_ >= 0; }
  uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void push(ScriptedResponse response);
  void push_json(int status, std::string body, Headers headers = {});
  std::vector<RecordedRequest> requests() const;

 private:
  void accept_loop();
  void serve(int fd);
  ScriptedResponse next_response();

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;  // wakes delayed answers on stop
  std::deque<ScriptedResponse> script_;
  std::vector<RecordedRequest> requests_;
  // One thread per connection; finished ones are joined as new ones come, so a long run
  // (the host benchmark's thousands of calls) holds no more threads than are answering.
  struct Connection {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::list<Connection> connections_;
  std::thread acceptor_;
};

// A loopback port nothing listens on (bound, read, closed).
uint16_t unused_port();

}  // namespace lokust::host::test
