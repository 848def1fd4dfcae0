#include "remote.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <thread>

namespace lokust::host::agents {

namespace {

using nlohmann::json;

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size())) {
    s.replace(at, what.size(), with);
  }
}

std::string ms(Millis m) { return std::to_string(m.count()) + " ms"; }

}  // namespace

std::string user_turn(const AgentTask& task) {
  if (task.prior_context.empty()) return task.user_prompt;
  std::string s = "<prior_context>\n";
  s.append(task.prior_context.begin(), task.prior_context.end());
  if (s.back() != '\n') s += '\n';
  s += "</prior_context>\n\n";
  s += task.user_prompt;
  return s;
}

std::string truncate_for_error(std::string_view body, size_t max) {
  std::string out;
  size_t n = std::min(body.size(), max);
  if (n < body.size()) {
    // Do not cut a UTF-8 sequence: back up over continuation bytes to its lead byte.
    while (n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;
  }
  out.reserve(n + 40);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(body[i]);
    out.push_back(c < 0x20 || c == 0x7F ? ' ' : static_cast<char>(c));
  }
  if (n < body.size()) out += "... (" + std::to_string(body.size()) + " bytes in all)";
  return out;
}

Result<std::string> endpoint_url(std::string_view base, std::string_view path_after_v1) {
  const bool http = starts_with_ci(base, "http://");
  const bool https = starts_with_ci(base, "https://");
  if (!http && !https) {
    return Result<std::string>::err("base URL '" + truncate_for_error(url_for_display(base), 200) +
                                    "' is not an http:// or https:// URL");
  }
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  if (base.size() <= (https ? 8u : 7u)) {
    return Result<std::string>::err("base URL '" + std::string(base) + "' names no host");
  }
  const std::string full = "/v1" + std::string(path_after_v1);
  if (ends_with(base, full)) return Result<std::string>::ok(std::string(base));
  if (ends_with(base, "/v1"))
    return Result<std::string>::ok(std::string(base) + std::string(path_after_v1));
  return Result<std::string>::ok(std::string(base) + full);
}

std::string url_for_display(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t host = scheme + 3;
  const size_t end = std::min(url.find('/', host), url.size());
  const size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < host) return std::string(url);
  return std::string(url.substr(0, host)) + std::string(url.substr(at + 1));
}

RemoteRuntime::RemoteRuntime(std::string name, const RuntimeConfig& config, std::string url,
                             std::vector<std::string> headers, std::string key,
                             std::string key_source)
    : name_(std::move(name)),
      model_(config.model),
      max_tokens_(config.max_tokens),
      url_(std::move(url)),
      headers_(std::move(headers)),
      key_(std::move(key)),
      key_source_(std::move(key_source)),
      request_timeout_(config.request_timeout),
      policy_(config.retry),
      sleep_(config.sleep),
      random_(config.random),
      rng_(std::random_device{}()),
      http_(config.connect_timeout, config.request_timeout) {}

std::string RemoteRuntime::describe() const {
  std::string d = name_ + " (";
  if (!model_.empty()) d += "model " + model_ + ", ";
  d += "max_tokens " + std::to_string(max_tokens_) + ", POST " + url_for_display(url_);
  d += key_.empty() ? ", no key" : ", key from " + key_source_;
  return d + ")";
}

// A server may echo the request's headers back in an error body: the key is cut out of any
// body before it is shortened (so no prefix of it survives) and out of the final message.
// Keys shorter than 8 bytes are not secrets worth garbling every message for.
std::string RemoteRuntime::redact(std::string s) const {
  if (key_.size() >= 8) replace_all(s, key_, "[redacted]");
  return s;
}

std::string RemoteRuntime::fail(std::string message) const {
  return redact(name_ + ": " + std::move(message));
}

Result<AgentResult> RemoteRuntime::execute(const AgentTask& task) {
  const auto start = std::chrono::steady_clock::now();
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (!http_.valid()) return Result<AgentResult>::err(fail("libcurl could not be initialised"));
    HttpRequest request{url_, headers_,
                        request_json(task).dump(-1, ' ', false, json::error_handler_t::replace)};
    const uint32_t max_attempts = std::max<uint32_t>(1, policy_.max_attempts);
    const Millis limit = policy_.give_up_after;
    auto elapsed = [&] {
      return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
    };
    for (uint32_t attempt = 1;; ++attempt) {
      Millis timeout = request_timeout_;  // 0: none
      if (limit.count() > 0) {
        const Millis left = std::max(Millis(1), limit - elapsed());
        timeout = timeout.count() > 0 ? std::min(timeout, left) : left;
      }
      HttpOutcome outcome = http_.post(request, timeout);
      std::string problem;
      bool retry = false;
      std::optional<Millis> retry_after;
      if (!outcome.ok) {
        retry = outcome.error.retryable;
        problem = outcome.error.timed_out
                      ? "request timed out (timeout " + ms(timeout) + "): " + outcome.error.message
                      : "request to " + url_for_display(url_) + " failed: " + outcome.error.message;
      } else if (const HttpResponse& r = outcome.response; r.status >= 200 && r.status < 300) {
        json body;
        try {
          body = json::parse(r.body);
        } catch (const json::parse_error& e) {
          return Result<AgentResult>::err(
              fail("malformed response (HTTP " + std::to_string(r.status) + ", " +
                   std::to_string(r.body.size()) + " bytes): not JSON (syntax error at byte " +
                   std::to_string(e.byte) + "): " + truncate_for_error(redact(r.body), 200)));
        }
        Result<ParsedOutput> parsed = parse_success(body);
        if (!parsed) {
          return Result<AgentResult>::err(fail("malformed response (HTTP " +
                                               std::to_string(r.status) + "): " + parsed.error() +
                                               ": " + truncate_for_error(redact(r.body), 200)));
        }
        AgentResult result;
        result.output.assign(parsed.value().text.begin(), parsed.value().text.end());
        // No usage from the server: estimate 4 bytes a token, prompt and output.
        result.tokens_used = parsed.value().tokens.value_or(
            (request.body.size() + parsed.value().text.size() + 3) / 4);
        result.duration_ms = static_cast<uint64_t>(
            std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start).count());
        return Result<AgentResult>::ok(std::move(result));
      } else {
        problem = "HTTP " + std::to_string(r.status);
        const json body = json::parse(r.body, nullptr, false);
        std::optional<std::string> api = body.is_discarded() ? std::nullopt : api_error(body);
        if (api) {
          problem += " " + truncate_for_error(redact(*api));
        } else if (!r.body.empty()) {
          problem += ": " + truncate_for_error(redact(r.body));
        }
        retry = is_retryable_status(r.status);
        // Anthropic's servers may say so explicitly.
        if (auto should = r.header("x-should-retry")) {
          if (*should == "true") retry = true;
          if (*should == "false") retry = false;
        }
        if (auto after_ms = r.header("retry-after-ms")) {
          const std::string& v = *after_ms;
          if (!v.empty() && v.size() <= 12 &&
              std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            retry_after = Millis(std::stoll(v));
          }
        }
        if (!retry_after) {
          if (auto after = r.header("retry-after")) retry_after = parse_retry_after(*after);
        }
      }
      if (!retry || attempt >= max_attempts) {
        if (attempt > 1) {
          problem += retry ? " (gave up after " + std::to_string(attempt) + " attempts)"
                           : " (attempt " + std::to_string(attempt) + ")";
        }
        return Result<AgentResult>::err(fail(std::move(problem)));
      }
      const double r01 =
          random_ ? random_() : std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      const Millis delay = retry_delay(policy_, attempt, retry_after, r01);
      if (limit.count() > 0 && elapsed() + delay >= limit) {
        return Result<AgentResult>::err(fail(problem + " (gave up after " +
                                             std::to_string(attempt) + " attempt" +
                                             (attempt > 1 ? "s" : "") + ": waiting " + ms(delay) +
                                             " more would pass the " + ms(limit) + " limit)"));
      }
      if (sleep_) {
        sleep_(delay);
      } else {
        std::this_thread::sleep_for(delay);
      }
    }
  } catch (const std::exception& e) {
    return Result<AgentResult>::err(fail(std::string("internal error: ") + e.what()));
  } catch (...) {
    return Result<AgentResult>::err(fail("internal error"));
  }
}

}  // namespace lokust::host::agents
