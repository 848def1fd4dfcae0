// A small blocking HTTP client over one libcurl easy handle (connections are kept alive between
// requests). Not thread-safe: one per runtime instance, used under the runtime's lock.
// Nothing here logs; request headers (where API keys travel) never leave libcurl.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/agents/retry.h"

typedef void CURL;

namespace lokust::host::agents {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent with POST
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response
  std::string body;
  // Case-insensitive; the first one of that name.
  std::optional<std::string> header(std::string_view name) const;
};

struct TransportError {
  std::string message;  // libcurl's, without the request's headers
  bool timed_out = false;
  bool retryable = false;  // connection failures, timeouts, dropped connections
};

struct HttpOutcome {
  bool ok = false;  // a response arrived (any status); else `error` says why not
  HttpResponse response;
  TransportError error;
};

class HttpClient {
 public:
  HttpClient(Millis connect_timeout, Millis request_timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // False when libcurl could not be set up; post() then fails.
  bool valid() const { return curl_ != nullptr; }
  // `timeout` (connect to last byte) defaults to the client's request timeout.
  HttpOutcome post(const HttpRequest& request, std::optional<Millis> timeout = std::nullopt);

  static constexpr size_t kMaxResponseBytes = 32u << 20;

 private:
  CURL* curl_ = nullptr;
  Millis connect_timeout_;
  Millis request_timeout_;
  std::string no_proxy_;  // hosts never reached through a proxy (loopback, and $no_proxy)
};

}  // namespace lokust::host::agents
