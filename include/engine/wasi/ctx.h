// WasiCtx: what one component instance's WASI imports see (preopens, arguments, environment,
// stdio) and the resources it holds, in per-instance tables keyed by the host representation
// (`rep`) that own/borrow handles of host resources carry.
//
//   auto ctx = wasi::WasiCtxBuilder()
//                  .Preopen("/srv/session-data", "/data")
//                  .Preopen("/usr/share/dict", "/dict", /*read_only=*/true)
//                  .Env("LANG", "C").Args({"prog", "x"}).InheritStdio()
//                  .Build();
//
// The tables give the binding layer (wasi/linker.h) reps to hand out; dropping a handle
// removes its rep, and with it the host object (the last reference closes the fd).
//
// The guest's monotonic clock and secure random source are the host's unless the builder
// replaces them (MonotonicClock, SecureRandom): deterministic replays inject their own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/wasi/fs.h"
#include "engine/wasi/streams.h"

namespace lokust::wasi {

// rep -> object. Reps start at 1 and are reused after removal.
template <typename T>
class ResourceSlab {
 public:
  uint32_t Insert(T value) {
    if (!free_.empty()) {
      const uint32_t rep = free_.back();
      free_.pop_back();
      slots_[rep - 1] = std::move(value);
      ++live_;
      return rep;
    }
    slots_.emplace_back(std::move(value));
    ++live_;
    return static_cast<uint32_t>(slots_.size());
  }
  T* Get(uint32_t rep) {
    if (rep == 0 || rep > slots_.size() || !slots_[rep - 1]) return nullptr;
    return &*slots_[rep - 1];
  }
  std::optional<T> Remove(uint32_t rep) {
    T* v = Get(rep);
    if (v == nullptr) return std::nullopt;
    std::optional<T> out(std::move(*v));
    slots_[rep - 1].reset();
    free_.push_back(rep);
    --live_;
    return out;
  }
  size_t size() const { return live_; }

 private:
  std::vector<std::optional<T>> slots_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

// A directory listing being read (directory-entry-stream).
struct DirectoryEntryStream {
  std::vector<DirectoryEntry> entries;
  size_t next = 0;
};

// A pollable: ready at a monotonic-clock instant (a timer), when an input stream over a host
// fd has input or end of stream (ReadinessFd), or at once (output streams, files, memory:
// those never make the guest wait).
struct Pollable {
  std::optional<uint64_t> deadline_ns;  // MonotonicNow's timeline
  InputStreamPtr stream = nullptr;      // with a ReadinessFd() >= 0; kept alive by the pollable
};

// Why a wait in the host ended without the pollable being ready.
enum class WaitError {
  kNotAPollable,  // a rep that is not a live pollable (the binding traps)
  kDeadline,      // the context's wait deadline passed first (SetWaitDeadline)
};

// A replacement monotonic clock: nanoseconds, never decreasing.
using MonotonicClockFn = std::function<uint64_t()>;
// A replacement secure random source: fills `out` entirely.
using RandomFillFn = std::function<void(std::span<uint8_t> out)>;

struct PreopenSpec {
  std::string host_path;
  std::string guest_path;
  bool read_only = false;
};

class WasiCtx {
 public:
  const std::vector<std::string>& args() const { return args_; }
  const std::vector<std::pair<std::string, std::string>>& env() const { return env_; }
  // Preopened directories and the guest paths they appear at.
  const std::vector<std::pair<DescriptorPtr, std::string>>& preopens() const { return preopens_; }
  const InputStreamPtr& stdin_stream() const { return stdin_; }
  const OutputStreamPtr& stdout_stream() const { return stdout_; }
  const OutputStreamPtr& stderr_stream() const { return stderr_; }

  // Per-instance resource tables.
  ResourceSlab<DescriptorPtr> descriptors;
  ResourceSlab<DirectoryEntryStream> directory_streams;
  ResourceSlab<InputStreamPtr> input_streams;
  ResourceSlab<OutputStreamPtr> output_streams;
  ResourceSlab<Pollable> pollables;
  ResourceSlab<IoError> errors;
  // Every live host object, all tables together (tests check that drops free them).
  size_t live_resources() const;

  // wasi:clocks. The static functions read the host's clocks.
  static uint64_t MonotonicNow();
  static uint64_t MonotonicResolution();
  static Datetime WallNow();
  static Datetime WallResolution();
  // What this context's guest sees as monotonic-clock#now: the builder's MonotonicClock, or
  // the host's (MonotonicNow).
  uint64_t GuestMonotonicNow() const;
  // A monotonic-clock instant of the guest's clock as a host deadline (MonotonicNow's
  // timeline), for pollables: with a replaced clock, the time left until `instant` passes in
  // real time; an instant already reached is ready now.
  uint64_t HostDeadline(uint64_t guest_instant) const;

  // wasi:random. The static functions read the host's CSPRNG; `insecure` is a fast generator
  // seeded from it; `insecure-seed` is fixed for the context's lifetime, as the WIT asks.
  static std::vector<uint8_t> RandomBytes(uint64_t len);
  static uint64_t RandomU64();
  // What this context's guest gets from wasi:random/random: the builder's SecureRandom, or the
  // host's CSPRNG. get-random-u64 is 8 bytes of it, little-endian.
  std::vector<uint8_t> GuestRandomBytes(uint64_t len) const;
  uint64_t GuestRandomU64() const;
  std::vector<uint8_t> InsecureRandomBytes(uint64_t len);
  uint64_t InsecureRandomU64();
  std::pair<uint64_t, uint64_t> InsecureSeed() const { return insecure_seed_; }

  // wasi:io/poll#poll: waits until one of `pollables` is ready, returns the indexes of the
  // ready ones.
  Expected<std::vector<uint32_t>, WaitError> Poll(std::span<const uint32_t> pollable_reps);
  bool PollableReady(const Pollable& p) const;
  // pollable.block: waits until `p` is ready; kDeadline when the wait deadline came first.
  Expected<void, WaitError> PollableBlock(const Pollable& p) const;
  // Before a blocking read of `stream`: waits until it has input, or at once for a stream that
  // never blocks (ReadinessFd() < 0).
  Expected<void, WaitError> WaitReadable(const InputStreamPtr& stream) const;

  // The latest instant (MonotonicNow's timeline) until which the guest may wait in the host:
  // in poll, pollable.block, and blocking reads of host fds. Past it they fail with
  // WaitError::kDeadline (the binding traps "deadline exceeded", core::Limit::kDeadline), so a
  // run's time limit holds while the guest sleeps or waits for input, not only while its code
  // runs. RunCommand sets it from CommandOptions::timeout. nullopt: wait as long as asked.
  void SetWaitDeadline(std::optional<uint64_t> host_ns) { wait_deadline_ = host_ns; }
  std::optional<uint64_t> wait_deadline() const { return wait_deadline_; }

  // wasi:cli/exit: set when the guest called exit (the binding then unwinds the guest).
  std::optional<int> exit_code;

 private:
  friend class WasiCtxBuilder;
  std::vector<std::string> args_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::vector<std::pair<DescriptorPtr, std::string>> preopens_;
  InputStreamPtr stdin_;
  OutputStreamPtr stdout_;
  OutputStreamPtr stderr_;
  MonotonicClockFn monotonic_clock_;
  RandomFillFn secure_random_;
  uint64_t insecure_state_ = 0;
  std::pair<uint64_t, uint64_t> insecure_seed_;
  std::optional<uint64_t> wait_deadline_;

  // Waits until one of `ps` is ready (their indexes into `ready`) or the wait deadline passes.
  Expected<void, WaitError> WaitAny(std::span<const Pollable* const> ps,
                                    std::vector<uint32_t>* ready) const;
};

class WasiCtxBuilder {
 public:
  // `host_path` appears to the guest at `guest_path`; read-only refuses every change.
  WasiCtxBuilder& Preopen(std::string host_path, std::string guest_path, bool read_only = false);
  WasiCtxBuilder& Env(std::string key, std::string value);
  WasiCtxBuilder& InheritEnv();  // the host process's environment
  WasiCtxBuilder& Args(std::vector<std::string> args);
  WasiCtxBuilder& Arg(std::string arg);
  // Default stdio: stdin at end of stream, stdout and stderr discarded.
  WasiCtxBuilder& Stdin(InputStreamPtr s);
  WasiCtxBuilder& Stdout(OutputStreamPtr s);
  WasiCtxBuilder& Stderr(OutputStreamPtr s);
  WasiCtxBuilder& InheritStdio();  // the host process's fds 0, 1, 2
  // Replace the guest's monotonic clock (monotonic-clock#now, and the instants of
  // subscribe-instant) and its secure random source (wasi:random/random). For deterministic
  // tests; insecure-random and the wall clock stay the host's.
  WasiCtxBuilder& MonotonicClock(MonotonicClockFn now_ns);
  WasiCtxBuilder& SecureRandom(RandomFillFn fill);

  // Opens the preopens; an error names the one that failed and why.
  Expected<std::unique_ptr<WasiCtx>, std::string> Build() const;

 private:
  std::vector<PreopenSpec> preopens_;
  std::vector<std::string> args_;
  std::vector<std::pair<std::string, std::string>> env_;
  InputStreamPtr stdin_;
  OutputStreamPtr stdout_;
  OutputStreamPtr stderr_;
  MonotonicClockFn monotonic_clock_;
  RandomFillFn secure_random_;
};

}  // namespace lokust::wasi
