// AddWasiToLinker: each WASI 0.2 function as a host function over a WasiCtx, converting
// component Vals to the host core's types and back (see linker.h).
#include "engine/wasi/linker.h"

#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

namespace lokust::wasi {

namespace {

using component::Error;
using component::LinkerInstance;
using component::Result;
using component::Trap;
using component::Val;
using Vals = std::vector<Val>;
using Fn = std::function<Result<Vals>(const Vals&)>;

std::string Iface(std::string_view name) {
  return std::string(name) + "@" + std::string(kWasiVersion);
}

// Labels of the WIT flags types, bit i = label i (fs.h's constants).
constexpr std::string_view kDescriptorFlagLabels[] = {"read",
                                                      "write",
                                                      "file-integrity-sync",
                                                      "data-integrity-sync",
                                                      "requested-write-sync",
                                                      "mutate-directory"};
constexpr std::string_view kPathFlagLabels[] = {"symlink-follow"};
constexpr std::string_view kOpenFlagLabels[] = {"create", "directory", "exclusive", "truncate"};
constexpr std::string_view kDescriptorTypeLabels[] = {
    "unknown", "block-device",  "character-device", "directory",
    "fifo",    "symbolic-link", "regular-file",     "socket"};
constexpr std::string_view kAdviceLabels[] = {"normal",    "sequential", "random",
                                              "will-need", "dont-need",  "no-reuse"};

template <size_t N>
uint32_t BitsOf(const Val& v, const std::string_view (&labels)[N]) {
  uint32_t bits = 0;
  for (const std::string& f : v.flags()) {
    for (size_t i = 0; i < N; ++i) {
      if (labels[i] == f) bits |= 1u << i;
    }
  }
  return bits;
}

template <size_t N>
Val FlagsOf(uint32_t bits, const std::string_view (&labels)[N]) {
  std::vector<std::string> set;
  for (size_t i = 0; i < N; ++i) {
    if (bits & (1u << i)) set.emplace_back(labels[i]);
  }
  return Val::Flags(std::move(set));
}

Val TypeVal(DescriptorType t) {
  return Val::Enum(std::string(kDescriptorTypeLabels[static_cast<size_t>(t)]));
}

Val DatetimeVal(Datetime d) {
  return Val::Record({{"seconds", Val::U64(d.seconds)}, {"nanoseconds", Val::U32(d.nanoseconds)}});
}

Datetime DatetimeOf(const Val& v) {
  Datetime d;
  if (const Val* s = v.field("seconds")) d.seconds = s->as_u64();
  if (const Val* n = v.field("nanoseconds")) d.nanoseconds = static_cast<uint32_t>(n->as_u64());
  return d;
}

NewTimestamp NewTimestampOf(const Val& v) {
  NewTimestamp t;
  if (v.label() == "now") {
    t.kind = NewTimestamp::Kind::kNow;
  } else if (v.label() == "timestamp" && v.payload() != nullptr) {
    t.kind = NewTimestamp::Kind::kTimestamp;
    t.time = DatetimeOf(*v.payload());
  }
  return t;
}

Val OptDatetime(const std::optional<Datetime>& d) {
  return Val::Option(d ? std::optional<Val>(DatetimeVal(*d)) : std::nullopt);
}

Val StatVal(const DescriptorStat& s) {
  return Val::Record({{"type", TypeVal(s.type)},
                      {"link-count", Val::U64(s.link_count)},
                      {"size", Val::U64(s.size)},
                      {"data-access-timestamp", OptDatetime(s.data_access)},
                      {"data-modification-timestamp", OptDatetime(s.data_modification)},
                      {"status-change-timestamp", OptDatetime(s.status_change)}});
}

Val HashVal(const MetadataHash& h) {
  return Val::Record({{"lower", Val::U64(h.lower)}, {"upper", Val::U64(h.upper)}});
}

Val Ok(std::optional<Val> v = std::nullopt) { return Val::Result(true, std::move(v)); }
Val ErrCode(ErrorCode c) { return Val::Enum(std::string(ErrorCodeName(c))); }
Val Err(ErrorCode c) { return Val::Result(false, ErrCode(c)); }

// result<T, error-code> from an FsResult, converting the value with `conv`.
template <typename T, typename F>
Vals FsVal(const FsResult<T>& r, F conv) {
  if (!r) return {Err(r.error())};
  return {Ok(conv(*r))};
}
Vals FsVal(const FsResult<void>& r) { return {r ? Ok() : Err(r.error())}; }

// The arguments a host function was called with, checked: a wrong count or a rep that is
// not live in its table traps, naming the function.
class Args {
 public:
  Args(std::string_view fn, const Vals& a) : fn_(fn), a_(a) {}
  bool Count(size_t n) const { return a_.size() == n; }
  const Val& operator[](size_t i) const { return a_[i]; }
  Error Bad(const std::string& what) const { return Trap(std::string(fn_) + ": " + what); }
  Error WrongCount(size_t n) const {
    return Bad("expected " + std::to_string(n) + " arguments, got " + std::to_string(a_.size()));
  }
  template <typename T>
  Result<T*> Get(ResourceSlab<T>& slab, size_t i, std::string_view kind) const {
    T* v = slab.Get(a_[i].handle());
    if (v == nullptr) {
      return Bad("argument " + std::to_string(i) + " is not a live " + std::string(kind) +
                 " (rep " + std::to_string(a_[i].handle()) + ")");
    }
    return v;
  }

 private:
  std::string_view fn_;
  const Vals& a_;
};

// Defines `name` on `li` with a body that sees checked Args.
class Definer {
 public:
  explicit Definer(LinkerInstance& li) : li_(li) {}
  Result<void> Func(std::string name, size_t arity, std::function<Result<Vals>(const Args&)> body) {
    std::string label = name;
    return li_.DefineFunc(name,
                          [label, arity, body = std::move(body)](const Vals& a) -> Result<Vals> {
                            Args args(label, a);
                            if (!args.Count(arity)) return args.WrongCount(arity);
                            return body(args);
                          });
  }
  template <typename T>
  Result<void> Resource(std::string name, ResourceSlab<T>& slab) {
    auto rt = li_.DefineResource(name, [&slab](uint32_t rep) { slab.Remove(rep); });
    if (!rt) return component::LinkError("wasi: cannot define resource " + name);
    return {};
  }

 private:
  LinkerInstance& li_;
};

Val StreamErrVal(WasiCtx& ctx, const StreamError& e) {
  if (e.closed) return Val::Variant("closed", std::nullopt);
  return Val::Variant("last-operation-failed", Val::Own(ctx.errors.Insert(e.error)));
}

template <typename T, typename F>
Vals StreamVal(WasiCtx& ctx, const StreamResult<T>& r, F conv) {
  if (!r) return {Val::Result(false, StreamErrVal(ctx, r.error()))};
  return {Val::Result(true, conv(*r))};
}
Vals StreamVal(WasiCtx& ctx, const StreamResult<void>& r) {
  if (!r) return {Val::Result(false, StreamErrVal(ctx, r.error()))};
  return {Ok()};
}

// A wait in the host that ran past the context's wait deadline: the same trap, with the same
// limit, as guest code running past the store's deadline.
Error WaitFailed(const Args& a, WaitError e) {
  if (e == WaitError::kNotAPollable) return a.Bad("a list element is not a live pollable");
  Error t = Trap("deadline exceeded");  // as the store's own deadline trap reads
  t.limit = core::Limit::kDeadline;
  return t;
}

#define WASI_TRY(expr) LOKUST_CM_TRY(expr)
#define WASI_GET(var, expr)             \
  auto var##_r = (expr);                \
  if (!var##_r) return var##_r.error(); \
  auto& var = **var##_r

// ---- wasi:io ----

// A blocking read of a host fd first waits for input under the wait deadline (the read
// itself would wait with no deadline at all).
Result<void> WaitIfBlocking(WasiCtx& ctx, const Args& a, const InputStreamPtr& s, bool blocking) {
  if (!blocking) return {};
  if (auto w = ctx.WaitReadable(s); !w) return WaitFailed(a, w.error());
  return {};
}

Result<void> AddIo(component::Linker& linker, WasiCtx& ctx) {
  {
    Definer d(linker.Instance(Iface("wasi:io/error")));
    WASI_TRY(d.Resource("error", ctx.errors));
    WASI_TRY(d.Func("[method]error.to-debug-string", 1, [&ctx](const Args& a) -> Result<Vals> {
      WASI_GET(e, a.Get(ctx.errors, 0, "error"));
      return Vals{Val::String(e.message)};
    }));
  }
  {
    Definer d(linker.Instance(Iface("wasi:io/poll")));
    WASI_TRY(d.Resource("pollable", ctx.pollables));
    WASI_TRY(d.Func("[method]pollable.ready", 1, [&ctx](const Args& a) -> Result<Vals> {
      WASI_GET(p, a.Get(ctx.pollables, 0, "pollable"));
      return Vals{Val::Bool(ctx.PollableReady(p))};
    }));
    WASI_TRY(d.Func("[method]pollable.block", 1, [&ctx](const Args& a) -> Result<Vals> {
      WASI_GET(p, a.Get(ctx.pollables, 0, "pollable"));
      if (auto waited = ctx.PollableBlock(p); !waited) return WaitFailed(a, waited.error());
      return Vals{};
    }));
    WASI_TRY(d.Func("poll", 1, [&ctx](const Args& a) -> Result<Vals> {
      std::vector<uint32_t> reps;
      for (const Val& v : a[0].elements()) reps.push_back(v.handle());
      if (reps.empty()) return a.Bad("the list of pollables is empty");
      auto ready = ctx.Poll(reps);
      if (!ready) return WaitFailed(a, ready.error());
      Vals out;
      for (uint32_t i : *ready) out.push_back(Val::U32(i));
      return Vals{Val::List(std::move(out))};
    }));
  }
  Definer d(linker.Instance(Iface("wasi:io/streams")));
  WASI_TRY(d.Resource("input-stream", ctx.input_streams));
  WASI_TRY(d.Resource("output-stream", ctx.output_streams));
  auto bytes = [](const std::vector<uint8_t>& b) { return Val::Bytes(b); };
  auto u64 = [](uint64_t n) { return Val::U64(n); };
  for (bool blocking : {false, true}) {
    const std::string pre = blocking ? "blocking-" : "";
    WASI_TRY(d.Func("[method]input-stream." + pre + "read", 2,
                    [&ctx, blocking, bytes](const Args& a) -> Result<Vals> {
                      WASI_GET(s, a.Get(ctx.input_streams, 0, "input-stream"));
                      if (auto w = WaitIfBlocking(ctx, a, s, blocking); !w) return w.error();
                      return StreamVal(ctx, s->Read(a[1].as_u64(), blocking), bytes);
                    }));
    WASI_TRY(d.Func("[method]input-stream." + pre + "skip", 2,
                    [&ctx, blocking, u64](const Args& a) -> Result<Vals> {
                      WASI_GET(s, a.Get(ctx.input_streams, 0, "input-stream"));
                      if (auto w = WaitIfBlocking(ctx, a, s, blocking); !w) return w.error();
                      return StreamVal(ctx, s->Skip(a[1].as_u64(), blocking), u64);
                    }));
    WASI_TRY(d.Func("[method]output-stream." + pre + "splice", 3,
                    [&ctx, blocking, u64](const Args& a) -> Result<Vals> {
                      WASI_GET(dst, a.Get(ctx.output_streams, 0, "output-stream"));
                      WASI_GET(src, a.Get(ctx.input_streams, 1, "input-stream"));
                      if (auto w = WaitIfBlocking(ctx, a, src, blocking); !w) return w.error();
                      return StreamVal(ctx, Splice(*dst, *src, a[2].as_u64(), blocking), u64);
                    }));
  }
  WASI_TRY(d.Func("[method]input-stream.subscribe", 1, [&ctx](const Args& a) -> Result<Vals> {
    WASI_GET(s, a.Get(ctx.input_streams, 0, "input-stream"));
    Pollable p;
    if (s->ReadinessFd() >= 0) p.stream = s;  // ready when the fd has input
    return Vals{Val::Own(ctx.pollables.Insert(std::move(p)))};
  }));
  WASI_TRY(d.Func("[method]output-stream.subscribe", 1, [&ctx](const Args& a) -> Result<Vals> {
    WASI_GET(s, a.Get(ctx.output_streams, 0, "output-stream"));
    (void)s;
    return Vals{Val::Own(ctx.pollables.Insert(Pollable{}))};
  }));
  WASI_TRY(
      d.Func("[method]output-stream.check-write", 1, [&ctx, u64](const Args& a) -> Result<Vals> {
        WASI_GET(s, a.Get(ctx.output_streams, 0, "output-stream"));
        return StreamVal(ctx, s->CheckWrite(), u64);
      }));
  WASI_TRY(d.Func("[method]output-stream.write", 2, [&ctx](const Args& a) -> Result<Vals> {
    WASI_GET(s, a.Get(ctx.output_streams, 0, "output-stream"));
    return StreamVal(ctx, s->Write(a[1].bytes()));
  }));
  WASI_TRY(d.Func("[method]output-stream.blocking-write-and-flush", 2,
                  [&ctx](const Args& a) -> Result<Vals> {
                    WASI_GET(s, a.Get(ctx.output_streams, 0, "output-stream"));
                    auto w = s->Write(a[1].bytes());
                    if (!w) return StreamVal(ctx, w);
                    return StreamVal(ctx, s->Flush());
                  }));
  for (const char* name : {"flush", "blocking-flush"}) {
    WASI_TRY(d.Func(std::string("[method]output-stream.") + name, 1,
                    [&ctx](const Args& a) -> Result<Vals> {
                      WASI_GET(s, a.Get(ctx.output_streams, 0, "output-stream"));
                      return StreamVal(ctx, s->Flush());
                    }));
  }
  WASI_TRY(d.Func("[method]output-stream.write-zeroes", 2, [&ctx](const Args& a) -> Result<Vals> {
    WASI_GET(s, a.Get(ctx.output_streams, 0, "output-stream"));
    return StreamVal(ctx, s->WriteZeroes(a[1].as_u64()));
  }));
  WASI_TRY(d.Func("[method]output-stream.blocking-write-zeroes-and-flush", 2,
                  [&ctx](const Args& a) -> Result<Vals> {
                    WASI_GET(s, a.Get(ctx.output_streams, 0, "output-stream"));
                    auto w = s->WriteZeroes(a[1].as_u64());
                    if (!w) return StreamVal(ctx, w);
                    return StreamVal(ctx, s->Flush());
                  }));
  return {};
}

// ---- wasi:clocks, wasi:random ----

// The WIT bounds no length; a guest asking for more than this would only exhaust the host's
// memory (an allocation failure must not unwind through the engine), so it traps.
constexpr uint64_t kMaxRandomBytes = 64u << 20;
std::string TooManyBytes(uint64_t len) {
  return "len " + std::to_string(len) + " exceeds " + std::to_string(kMaxRandomBytes) + " bytes";
}

Result<void> AddClocksAndRandom(component::Linker& linker, WasiCtx& ctx) {
  {
    Definer d(linker.Instance(Iface("wasi:clocks/monotonic-clock")));
    WASI_TRY(d.Func("now", 0, [&ctx](const Args&) -> Result<Vals> {
      return Vals{Val::U64(ctx.GuestMonotonicNow())};
    }));
    WASI_TRY(d.Func("resolution", 0, [](const Args&) -> Result<Vals> {
      return Vals{Val::U64(WasiCtx::MonotonicResolution())};
    }));
    WASI_TRY(d.Func("subscribe-instant", 1, [&ctx](const Args& a) -> Result<Vals> {
      return Vals{Val::Own(ctx.pollables.Insert(Pollable{ctx.HostDeadline(a[0].as_u64())}))};
    }));
    WASI_TRY(d.Func("subscribe-duration", 1, [&ctx](const Args& a) -> Result<Vals> {
      const uint64_t now = WasiCtx::MonotonicNow(), dur = a[0].as_u64();
      const uint64_t at = dur > UINT64_MAX - now ? UINT64_MAX : now + dur;
      return Vals{Val::Own(ctx.pollables.Insert(Pollable{at}))};
    }));
  }
  {
    Definer d(linker.Instance(Iface("wasi:clocks/wall-clock")));
    WASI_TRY(d.Func("now", 0, [](const Args&) -> Result<Vals> {
      return Vals{DatetimeVal(WasiCtx::WallNow())};
    }));
    WASI_TRY(d.Func("resolution", 0, [](const Args&) -> Result<Vals> {
      return Vals{DatetimeVal(WasiCtx::WallResolution())};
    }));
  }
  {
    Definer d(linker.Instance(Iface("wasi:random/random")));
    WASI_TRY(d.Func("get-random-bytes", 1, [&ctx](const Args& a) -> Result<Vals> {
      if (a[0].as_u64() > kMaxRandomBytes) return a.Bad(TooManyBytes(a[0].as_u64()));
      return Vals{Val::Bytes(ctx.GuestRandomBytes(a[0].as_u64()))};
    }));
    WASI_TRY(d.Func("get-random-u64", 0, [&ctx](const Args&) -> Result<Vals> {
      return Vals{Val::U64(ctx.GuestRandomU64())};
    }));
  }
  {
    Definer d(linker.Instance(Iface("wasi:random/insecure")));
    WASI_TRY(d.Func("get-insecure-random-bytes", 1, [&ctx](const Args& a) -> Result<Vals> {
      if (a[0].as_u64() > kMaxRandomBytes) return a.Bad(TooManyBytes(a[0].as_u64()));
      return Vals{Val::Bytes(ctx.InsecureRandomBytes(a[0].as_u64()))};
    }));
    WASI_TRY(d.Func("get-insecure-random-u64", 0, [&ctx](const Args&) -> Result<Vals> {
      return Vals{Val::U64(ctx.InsecureRandomU64())};
    }));
  }
  {
    Definer d(linker.Instance(Iface("wasi:random/insecure-seed")));
    WASI_TRY(d.Func("insecure-seed", 0, [&ctx](const Args&) -> Result<Vals> {
      auto [a, b] = ctx.InsecureSeed();
      return Vals{Val::Tuple({Val::U64(a), Val::U64(b)})};
    }));
  }
  return {};
}

// ---- wasi:cli ----

Result<void> AddCli(component::Linker& linker, WasiCtx& ctx) {
  {
    Definer d(linker.Instance(Iface("wasi:cli/environment")));
    WASI_TRY(d.Func("get-environment", 0, [&ctx](const Args&) -> Result<Vals> {
      Vals env;
      for (const auto& [k, v] : ctx.env())
        env.push_back(Val::Tuple({Val::String(k), Val::String(v)}));
      return Vals{Val::List(std::move(env))};
    }));
    WASI_TRY(d.Func("get-arguments", 0, [&ctx](const Args&) -> Result<Vals> {
      Vals args;
      for (const auto& s : ctx.args()) args.push_back(Val::String(s));
      return Vals{Val::List(std::move(args))};
    }));
    WASI_TRY(d.Func("initial-cwd", 0,
                    [](const Args&) -> Result<Vals> { return Vals{Val::Option(std::nullopt)}; }));
  }
  {
    Definer d(linker.Instance(Iface("wasi:cli/exit")));
    WASI_TRY(d.Func("exit", 1, [&ctx](const Args& a) -> Result<Vals> {
      ctx.exit_code = a[0].is_ok() ? 0 : 1;
      return Trap(std::string(kExitTrapPrefix) + "exit(" + std::to_string(*ctx.exit_code) + ")");
    }));
    WASI_TRY(d.Func("exit-with-code", 1, [&ctx](const Args& a) -> Result<Vals> {
      ctx.exit_code = static_cast<int>(a[0].as_u64() & 0xff);
      return Trap(std::string(kExitTrapPrefix) + "exit(" + std::to_string(*ctx.exit_code) + ")");
    }));
  }
  {
    Definer d(linker.Instance(Iface("wasi:cli/stdin")));
    WASI_TRY(d.Func("get-stdin", 0, [&ctx](const Args&) -> Result<Vals> {
      return Vals{Val::Own(ctx.input_streams.Insert(ctx.stdin_stream()))};
    }));
  }
  for (const char* which : {"stdout", "stderr"}) {
    Definer d(linker.Instance(Iface(std::string("wasi:cli/") + which)));
    const bool out = std::string_view(which) == "stdout";
    WASI_TRY(d.Func(std::string("get-") + which, 0, [&ctx, out](const Args&) -> Result<Vals> {
      return Vals{
          Val::Own(ctx.output_streams.Insert(out ? ctx.stdout_stream() : ctx.stderr_stream()))};
    }));
  }
  // No terminal is ever reported: the resources exist (the adapter imports their drops) but
  // get-terminal-* returns none, as wasmtime does for non-tty stdio.
  linker.Instance(Iface("wasi:cli/terminal-input")).DefineResource("terminal-input", {});
  linker.Instance(Iface("wasi:cli/terminal-output")).DefineResource("terminal-output", {});
  for (const char* which : {"stdin", "stdout", "stderr"}) {
    Definer d(linker.Instance(Iface(std::string("wasi:cli/terminal-") + which)));
    WASI_TRY(d.Func(std::string("get-terminal-") + which, 0,
                    [](const Args&) -> Result<Vals> { return Vals{Val::Option(std::nullopt)}; }));
  }
  return {};
}

// ---- wasi:filesystem ----

Result<void> AddFilesystem(component::Linker& linker, WasiCtx& ctx) {
  {
    Definer d(linker.Instance(Iface("wasi:filesystem/preopens")));
    WASI_TRY(d.Func("get-directories", 0, [&ctx](const Args&) -> Result<Vals> {
      // A fresh handle per call: the guest may drop each independently.
      Vals dirs;
      for (const auto& [desc, path] : ctx.preopens()) {
        dirs.push_back(Val::Tuple({Val::Own(ctx.descriptors.Insert(desc)), Val::String(path)}));
      }
      return Vals{Val::List(std::move(dirs))};
    }));
  }
  Definer d(linker.Instance(Iface("wasi:filesystem/types")));
  WASI_TRY(d.Resource("descriptor", ctx.descriptors));
  WASI_TRY(d.Resource("directory-entry-stream", ctx.directory_streams));

  // A descriptor method: `self` is args[0], the body gets the Descriptor.
  auto method = [&](const char* name, size_t arity,
                    std::function<Result<Vals>(const Args&, const DescriptorPtr&)> body) {
    return d.Func(std::string("[method]descriptor.") + name, arity + 1,
                  [&ctx, body = std::move(body)](const Args& a) -> Result<Vals> {
                    WASI_GET(self, a.Get(ctx.descriptors, 0, "descriptor"));
                    return body(a, self);
                  });
  };

  WASI_TRY(
      method("read-via-stream", 1, [&ctx](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
        if (f->is_directory()) return Vals{Err(ErrorCode::kIsDirectory)};
        if (!(*f->GetFlags() & kDescRead)) return Vals{Err(ErrorCode::kBadDescriptor)};
        return Vals{Ok(Val::Own(ctx.input_streams.Insert(FileInputStream(f, a[1].as_u64()))))};
      }));
  WASI_TRY(
      method("write-via-stream", 1, [&ctx](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
        if (f->is_directory()) return Vals{Err(ErrorCode::kIsDirectory)};
        if (!(*f->GetFlags() & kDescWrite)) return Vals{Err(ErrorCode::kBadDescriptor)};
        return Vals{
            Ok(Val::Own(ctx.output_streams.Insert(FileOutputStream(f, a[1].as_u64(), false))))};
      }));
  WASI_TRY(
      method("append-via-stream", 0, [&ctx](const Args&, const DescriptorPtr& f) -> Result<Vals> {
        if (f->is_directory()) return Vals{Err(ErrorCode::kIsDirectory)};
        if (!(*f->GetFlags() & kDescWrite)) return Vals{Err(ErrorCode::kBadDescriptor)};
        return Vals{Ok(Val::Own(ctx.output_streams.Insert(FileOutputStream(f, 0, true))))};
      }));
  WASI_TRY(method("advise", 3, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    Advice adv = Advice::kNormal;
    for (size_t i = 0; i < std::size(kAdviceLabels); ++i) {
      if (a[3].label() == kAdviceLabels[i]) adv = static_cast<Advice>(i);
    }
    return FsVal(f->Advise(a[1].as_u64(), a[2].as_u64(), adv));
  }));
  WASI_TRY(method("sync-data", 0, [](const Args&, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->SyncData());
  }));
  WASI_TRY(method("sync", 0, [](const Args&, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->Sync());
  }));
  WASI_TRY(method("get-flags", 0, [](const Args&, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->GetFlags(), [](uint32_t b) { return FlagsOf(b, kDescriptorFlagLabels); });
  }));
  WASI_TRY(method("get-type", 0, [](const Args&, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->GetType(), TypeVal);
  }));
  WASI_TRY(method("set-size", 1, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->SetSize(a[1].as_u64()));
  }));
  WASI_TRY(method("set-times", 2, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->SetTimes(NewTimestampOf(a[1]), NewTimestampOf(a[2])));
  }));
  WASI_TRY(method("read", 2, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->Read(a[1].as_u64(), a[2].as_u64()), [](const auto& r) {
      return Val::Tuple({Val::Bytes(r.first), Val::Bool(r.second)});
    });
  }));
  WASI_TRY(method("write", 2, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->Write(a[1].bytes(), a[2].as_u64()), Val::U64);
  }));
  WASI_TRY(method("read-directory", 0, [&ctx](const Args&, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->ReadDirectory(), [&ctx](const std::vector<DirectoryEntry>& e) {
      return Val::Own(ctx.directory_streams.Insert(DirectoryEntryStream{e, 0}));
    });
  }));
  WASI_TRY(
      method("create-directory-at", 1, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
        return FsVal(f->CreateDirectoryAt(a[1].as_string()));
      }));
  WASI_TRY(method("stat", 0, [](const Args&, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->Stat(), StatVal);
  }));
  WASI_TRY(method("stat-at", 2, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->StatAt(BitsOf(a[1], kPathFlagLabels), a[2].as_string()), StatVal);
  }));
  WASI_TRY(method("set-times-at", 4, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->SetTimesAt(BitsOf(a[1], kPathFlagLabels), a[2].as_string(),
                               NewTimestampOf(a[3]), NewTimestampOf(a[4])));
  }));
  WASI_TRY(method("link-at", 4, [&ctx](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    WASI_GET(to, a.Get(ctx.descriptors, 3, "descriptor"));
    return FsVal(f->LinkAt(BitsOf(a[1], kPathFlagLabels), a[2].as_string(), *to, a[4].as_string()));
  }));
  WASI_TRY(method("open-at", 4, [&ctx](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(
        f->OpenAt(BitsOf(a[1], kPathFlagLabels), a[2].as_string(), BitsOf(a[3], kOpenFlagLabels),
                  BitsOf(a[4], kDescriptorFlagLabels)),
        [&ctx](const DescriptorPtr& opened) { return Val::Own(ctx.descriptors.Insert(opened)); });
  }));
  WASI_TRY(method("readlink-at", 1, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->ReadlinkAt(a[1].as_string()), Val::String);
  }));
  WASI_TRY(
      method("remove-directory-at", 1, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
        return FsVal(f->RemoveDirectoryAt(a[1].as_string()));
      }));
  WASI_TRY(method("rename-at", 3, [&ctx](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    WASI_GET(to, a.Get(ctx.descriptors, 2, "descriptor"));
    return FsVal(f->RenameAt(a[1].as_string(), *to, a[3].as_string()));
  }));
  WASI_TRY(method("symlink-at", 2, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->SymlinkAt(a[1].as_string(), a[2].as_string()));
  }));
  WASI_TRY(method("unlink-file-at", 1, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->UnlinkFileAt(a[1].as_string()));
  }));
  WASI_TRY(
      method("is-same-object", 1, [&ctx](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
        WASI_GET(other, a.Get(ctx.descriptors, 1, "descriptor"));
        return Vals{Val::Bool(f->IsSameObject(*other))};
      }));
  WASI_TRY(method("metadata-hash", 0, [](const Args&, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->GetMetadataHash(), HashVal);
  }));
  WASI_TRY(method("metadata-hash-at", 2, [](const Args& a, const DescriptorPtr& f) -> Result<Vals> {
    return FsVal(f->GetMetadataHashAt(BitsOf(a[1], kPathFlagLabels), a[2].as_string()), HashVal);
  }));

  WASI_TRY(d.Func("[method]directory-entry-stream.read-directory-entry", 1,
                  [&ctx](const Args& a) -> Result<Vals> {
                    WASI_GET(s, a.Get(ctx.directory_streams, 0, "directory-entry-stream"));
                    if (s.next >= s.entries.size()) return Vals{Ok(Val::Option(std::nullopt))};
                    const DirectoryEntry& e = s.entries[s.next++];
                    return Vals{Ok(Val::Option(
                        Val::Record({{"type", TypeVal(e.type)}, {"name", Val::String(e.name)}})))};
                  }));
  WASI_TRY(d.Func("filesystem-error-code", 1, [&ctx](const Args& a) -> Result<Vals> {
    WASI_GET(e, a.Get(ctx.errors, 0, "error"));
    return Vals{Val::Option(e.code ? std::optional<Val>(ErrCode(*e.code)) : std::nullopt)};
  }));
  return {};
}

}  // namespace

component::Result<void> AddWasiToLinker(component::Linker& linker, WasiCtx& ctx) {
  LOKUST_CM_TRY(AddIo(linker, ctx));
  LOKUST_CM_TRY(AddClocksAndRandom(linker, ctx));
  LOKUST_CM_TRY(AddCli(linker, ctx));
  LOKUST_CM_TRY(AddFilesystem(linker, ctx));
  return {};
}

}  // namespace lokust::wasi
