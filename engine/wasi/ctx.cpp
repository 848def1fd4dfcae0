// WasiCtx and its builder: configuration, clocks, random, poll (see ctx.h).
#include "engine/wasi/ctx.h"

#include <poll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace lokust::wasi {

namespace {

uint64_t ToNs(const timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// splitmix64: a small, well-mixed generator for insecure-random (not for secrets).
uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void FillRandom(uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      // No entropy source at all is not something a guest can recover from; there is no
      // error in wasi:random's signature, so fail loudly rather than return zeros.
      std::abort();
    }
    p += got;
    n -= static_cast<size_t>(got);
  }
}

}  // namespace

size_t WasiCtx::live_resources() const {
  return descriptors.size() + directory_streams.size() + input_streams.size() +
         output_streams.size() + pollables.size() + errors.size();
}

uint64_t WasiCtx::MonotonicNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ToNs(ts);
}

uint64_t WasiCtx::MonotonicResolution() {
  timespec ts;
  clock_getres(CLOCK_MONOTONIC, &ts);
  return std::max<uint64_t>(ToNs(ts), 1);
}

Datetime WasiCtx::WallNow() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Datetime{static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
}

Datetime WasiCtx::WallResolution() {
  timespec ts;
  clock_getres(CLOCK_REALTIME, &ts);
  if (ts.tv_sec == 0 && ts.tv_nsec == 0) ts.tv_nsec = 1;
  return Datetime{static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
}

std::vector<uint8_t> WasiCtx::RandomBytes(uint64_t len) {
  std::vector<uint8_t> out(static_cast<size_t>(len));
  FillRandom(out.data(), out.size());
  return out;
}

uint64_t WasiCtx::RandomU64() {
  uint64_t v;
  FillRandom(reinterpret_cast<uint8_t*>(&v), sizeof v);
  return v;
}

std::vector<uint8_t> WasiCtx::InsecureRandomBytes(uint64_t len) {
  std::vector<uint8_t> out(static_cast<size_t>(len));
  for (size_t i = 0; i < out.size(); i += 8) {
    const uint64_t v = SplitMix(insecure_state_);
    std::memcpy(out.data() + i, &v, std::min<size_t>(8, out.size() - i));
  }
  return out;
}

uint64_t WasiCtx::InsecureRandomU64() { return SplitMix(insecure_state_); }

uint64_t WasiCtx::GuestMonotonicNow() const {
  return monotonic_clock_ ? monotonic_clock_() : MonotonicNow();
}

uint64_t WasiCtx::HostDeadline(uint64_t guest_instant) const {
  if (!monotonic_clock_) return guest_instant;  // the guest's clock is the host's
  const uint64_t guest_now = monotonic_clock_(), host_now = MonotonicNow();
  if (guest_instant <= guest_now) return host_now;
  const uint64_t left = guest_instant - guest_now;
  return left > UINT64_MAX - host_now ? UINT64_MAX : host_now + left;
}

std::vector<uint8_t> WasiCtx::GuestRandomBytes(uint64_t len) const {
  if (!secure_random_) return RandomBytes(len);
  std::vector<uint8_t> out(static_cast<size_t>(len));
  secure_random_(out);
  return out;
}

uint64_t WasiCtx::GuestRandomU64() const {
  if (!secure_random_) return RandomU64();
  const std::vector<uint8_t> b = GuestRandomBytes(8);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[static_cast<size_t>(i)];
  return v;
}

namespace {

timespec ToTimespec(uint64_t ns) {
  return timespec{static_cast<time_t>(ns / 1000000000ull), static_cast<long>(ns % 1000000000ull)};
}

}  // namespace

bool WasiCtx::PollableReady(const Pollable& p) const {
  if (p.deadline_ns) return MonotonicNow() >= *p.deadline_ns;
  if (p.stream) return HostFdReadable(p.stream->ReadinessFd());
  return true;
}

Expected<void, WaitError> WasiCtx::WaitAny(std::span<const Pollable* const> ps,
                                           std::vector<uint32_t>* ready) const {
  std::vector<pollfd> fds;
  for (;;) {
    for (size_t i = 0; i < ps.size(); ++i) {
      if (PollableReady(*ps[i])) ready->push_back(static_cast<uint32_t>(i));
    }
    if (!ready->empty()) return {};
    // Nothing is ready: every pollable is a timer or a host fd. Sleep until the earliest
    // timer or the wait deadline, waking early when an fd gets input.
    const uint64_t now = MonotonicNow();
    if (wait_deadline_ && now >= *wait_deadline_) return WaitError::kDeadline;
    std::optional<uint64_t> until = wait_deadline_;
    fds.clear();
    for (const Pollable* p : ps) {
      if (p->deadline_ns) until = until ? std::min(*until, *p->deadline_ns) : *p->deadline_ns;
      if (p->stream) fds.push_back(pollfd{p->stream->ReadinessFd(), POLLIN, 0});
    }
    std::optional<timespec> wait;
    if (until) wait = ToTimespec(*until - now);
    // EINTR and spurious wake-ups just go round again.
    ::ppoll(fds.data(), fds.size(), wait ? &*wait : nullptr, nullptr);
  }
}

Expected<void, WaitError> WasiCtx::PollableBlock(const Pollable& p) const {
  const Pollable* one[] = {&p};
  std::vector<uint32_t> ready;
  return WaitAny(one, &ready);
}

Expected<void, WaitError> WasiCtx::WaitReadable(const InputStreamPtr& stream) const {
  if (!stream || stream->ReadinessFd() < 0) return {};
  Pollable p{std::nullopt, stream};
  return PollableBlock(p);
}

Expected<std::vector<uint32_t>, WaitError> WasiCtx::Poll(std::span<const uint32_t> pollable_reps) {
  std::vector<const Pollable*> ps;
  for (uint32_t rep : pollable_reps) {
    const Pollable* p = pollables.Get(rep);
    if (p == nullptr) return WaitError::kNotAPollable;
    ps.push_back(p);
  }
  std::vector<uint32_t> ready;
  if (ps.empty()) return ready;
  auto waited = WaitAny(ps, &ready);
  if (!waited) return waited.error();
  return ready;
}

WasiCtxBuilder& WasiCtxBuilder::Preopen(std::string host_path, std::string guest_path,
                                        bool read_only) {
  preopens_.push_back(PreopenSpec{std::move(host_path), std::move(guest_path), read_only});
  return *this;
}

WasiCtxBuilder& WasiCtxBuilder::Env(std::string key, std::string value) {
  // A later setting of the same key replaces the earlier one.
  for (auto& kv : env_) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return *this;
    }
  }
  env_.emplace_back(std::move(key), std::move(value));
  return *this;
}

WasiCtxBuilder& WasiCtxBuilder::InheritEnv() {
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv = *e;
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    Env(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return *this;
}

WasiCtxBuilder& WasiCtxBuilder::Args(std::vector<std::string> args) {
  args_ = std::move(args);
  return *this;
}

WasiCtxBuilder& WasiCtxBuilder::Arg(std::string arg) {
  args_.push_back(std::move(arg));
  return *this;
}

WasiCtxBuilder& WasiCtxBuilder::Stdin(InputStreamPtr s) {
  stdin_ = std::move(s);
  return *this;
}

WasiCtxBuilder& WasiCtxBuilder::Stdout(OutputStreamPtr s) {
  stdout_ = std::move(s);
  return *this;
}

WasiCtxBuilder& WasiCtxBuilder::Stderr(OutputStreamPtr s) {
  stderr_ = std::move(s);
  return *this;
}

WasiCtxBuilder& WasiCtxBuilder::InheritStdio() {
  stdin_ = HostFdInputStream(0);
  stdout_ = HostFdOutputStream(1);
  stderr_ = HostFdOutputStream(2);
  return *this;
}

WasiCtxBuilder& WasiCtxBuilder::MonotonicClock(MonotonicClockFn now_ns) {
  monotonic_clock_ = std::move(now_ns);
  return *this;
}

WasiCtxBuilder& WasiCtxBuilder::SecureRandom(RandomFillFn fill) {
  secure_random_ = std::move(fill);
  return *this;
}

Expected<std::unique_ptr<WasiCtx>, std::string> WasiCtxBuilder::Build() const {
  auto ctx = std::make_unique<WasiCtx>();
  for (size_t i = 0; i < preopens_.size(); ++i) {
    const PreopenSpec& p = preopens_[i];
    if (p.guest_path.empty()) {
      return "preopen " + std::to_string(i) + " (" + p.host_path + "): empty guest path";
    }
    auto d = Descriptor::OpenPreopen(p.host_path, !p.read_only);
    if (!d) {
      return "preopen " + std::to_string(i) + ": cannot open directory " + p.host_path + " (" +
             std::string(ErrorCodeName(d.error())) + ")";
    }
    ctx->preopens_.emplace_back(std::move(*d), p.guest_path);
  }
  ctx->args_ = args_;
  ctx->env_ = env_;
  ctx->stdin_ = stdin_ ? stdin_ : ClosedInputStream();
  ctx->stdout_ = stdout_ ? stdout_ : SinkOutputStream();
  ctx->stderr_ = stderr_ ? stderr_ : SinkOutputStream();
  ctx->monotonic_clock_ = monotonic_clock_;
  ctx->secure_random_ = secure_random_;
  // From the host's CSPRNG even when SecureRandom replaces the guest's: a replaced source
  // hands its bytes to the guest's own get-random-* calls only, in order.
  ctx->insecure_state_ = WasiCtx::RandomU64();
  ctx->insecure_seed_ = {WasiCtx::RandomU64(), WasiCtx::RandomU64()};
  return ctx;
}

}  // namespace lokust::wasi
