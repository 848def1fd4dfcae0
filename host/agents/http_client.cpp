#include "http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

namespace lokust::host::agents {

namespace {

// libcurl's global state, set up once per process and never torn down (other threads may
// still hold handles at exit).
bool global_init() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; });
  return ok;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

struct Sink {
  HttpResponse* response;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  if (sink->response->body.size() + len > HttpClient::kMaxResponseBytes) {
    sink->too_large = true;
    return 0;  // aborts the transfer
  }
  sink->response->body.append(data, len);
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  const std::string_view line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {
    sink->response->headers.clear();  // a new response (after 100 Continue, say)
  } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    sink->response->headers.emplace_back(std::string(trim_ows(line.substr(0, colon))),
                                         std::string(trim_ows(line.substr(colon + 1))));
  }
  return len;
}

bool retryable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

// Local model servers listen on loopback: never send those requests through a proxy that the
// environment (http_proxy, https_proxy) names. The user's own no_proxy list is kept.
std::string no_proxy_list() {
  std::string list = "localhost,127.0.0.1,::1";
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') {
      list = std::string(v) + "," + list;
      break;
    }
  }
  return list;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

HttpClient::HttpClient(Millis connect_timeout, Millis request_timeout)
    : connect_timeout_(connect_timeout),
      request_timeout_(request_timeout),
      no_proxy_(no_proxy_list()) {
  if (global_init()) curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(curl_);
}

HttpOutcome HttpClient::post(const HttpRequest& request, std::optional<Millis> timeout) {
  HttpOutcome out;
  if (curl_ == nullptr) {
    out.error.message = "libcurl could not be initialised";
    return out;
  }
  curl_slist* headers = nullptr;
  bool headers_ok = true;
  for (const std::string& h : request.headers) {
    curl_slist* next = curl_slist_append(headers, h.c_str());
    if (next == nullptr) {
      headers_ok = false;
      break;
    }
    headers = next;
  }
  // libcurl would otherwise send `Expect: 100-continue` for large bodies and wait for it.
  if (headers_ok) {
    curl_slist* next = curl_slist_append(headers, "Expect:");
    if (next == nullptr)
      headers_ok = false;
    else
      headers = next;
  }
  if (!headers_ok) {
    curl_slist_free_all(headers);
    out.error.message = "out of memory building the request headers";
    return out;
  }

  char errbuf[CURL_ERROR_SIZE] = {0};
  Sink sink{&out.response};
  CURL* c = curl_;
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a key is never re-sent elsewhere
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, no_proxy_.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "lokust-session-host/0.1");
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(0, connect_timeout_.count())));
  curl_easy_setopt(
      c, CURLOPT_TIMEOUT_MS,
      static_cast<long>(std::max<int64_t>(0, timeout.value_or(request_timeout_).count())));
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);

  const CURLcode code = curl_easy_perform(c);

  // Nothing of this request may outlive the call inside the handle.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(c, CURLOPT_NOPROXY, nullptr);
  curl_slist_free_all(headers);

  if (code == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.response.status);
    out.ok = true;
    return out;
  }
  if (sink.too_large) {
    out.error.message = "response larger than " + std::to_string(kMaxResponseBytes >> 20) + " MiB";
    return out;
  }
  out.error.timed_out = code == CURLE_OPERATION_TIMEDOUT;
  out.error.retryable = retryable(code);
  out.error.message = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(code);
  while (!out.error.message.empty() && out.error.message.back() == '\n') {
    out.error.message.pop_back();
  }
  return out;
}

}  // namespace lokust::host::agents
