#include "guest/session_codec.h"

#include "guest/text.h"

namespace lokust::session {

uint64_t fnv1a64(std::span<const uint8_t> bytes) {
  uint64_t h = 14695981039346656037ull;
  for (uint8_t c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

namespace {

// "<a><x><b><y><c>" with x and y in decimal.
std::string cat(const char* a, uint64_t x, const char* b = "", uint64_t y = 0,
                const char* c = nullptr) {
  std::string m = a;
  append_u64(m, x);
  m += b;
  if (c != nullptr) {
    append_u64(m, y);
    m += c;
  }
  return m;
}

class Writer {
 public:
  void u8(uint8_t v) { out.push_back(v); }
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void bytes(std::span<const uint8_t> b) {
    u32(static_cast<uint32_t>(b.size()));
    append_bytes(out, b);
  }
  void str(const std::string& s) { bytes(as_bytes(s)); }
  std::vector<uint8_t> out;

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : b_(b) {}
  bool failed() const { return !error.empty(); }
  size_t left() const { return b_.size() - pos_; }

  uint64_t le(size_t n, const char* what) {
    if (failed()) return 0;
    if (left() < n) {
      fail_short(what, n);
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{b_[pos_ + i]} << (8 * i);
    pos_ += n;
    return v;
  }
  uint8_t u8(const char* what) { return static_cast<uint8_t>(le(1, what)); }
  uint16_t u16(const char* what) { return static_cast<uint16_t>(le(2, what)); }
  uint32_t u32(const char* what) { return static_cast<uint32_t>(le(4, what)); }
  uint64_t u64(const char* what) { return le(8, what); }

  std::span<const uint8_t> bytes(const char* what, size_t limit) {
    const uint32_t len = u32(what);
    if (failed()) return {};
    if (len > limit) {
      fail(what, cat(" is ", len, " bytes; the limit is ", limit, ""));
      return {};
    }
    if (len > left()) {
      fail_short(what, len);
      return {};
    }
    auto s = b_.subspan(pos_, len);
    pos_ += len;
    return s;
  }
  std::string str(const char* what, size_t limit) {
    auto s = bytes(what, limit);
    if (failed()) return {};
    if (!is_valid_utf8(s)) {
      fail(what, " is not valid UTF-8");
      return {};
    }
    return std::string(s.begin(), s.end());
  }

  // Records the first problem: "import-session: <what><reason>".
  void fail(const char* what, const std::string& reason) {
    if (failed()) return;
    error = "import-session: ";
    error += what;
    error += reason;
  }

  std::string error;

 private:
  void fail_short(const char* what, uint64_t need) {
    fail(what, cat(" needs ", need, " bytes but only ", left(), " are left (truncated export)"));
  }
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

constexpr size_t kHeaderBytes = 8;    // magic, version, flags
constexpr size_t kChecksumBytes = 8;  // trailing FNV-1a-64

}  // namespace

std::vector<uint8_t> encode_session(const SessionState& s) {
  Writer w;
  for (uint8_t c : kExportMagic) w.u8(c);
  w.u16(kExportVersion);
  w.u16(0);  // flags
  w.str(s.id);
  w.u8(static_cast<uint8_t>(s.status));
  w.u32(s.current_phase_index);
  w.u64(s.total_duration_ms);
  w.u64(s.total_tokens);
  w.u64(s.created_at_ms);
  w.str(s.objective);
  w.u32(s.context_budget);
  w.u64(s.raw_context_bytes);
  w.u64(s.passed_context_bytes);
  w.u32(static_cast<uint32_t>(s.phases.size()));
  for (size_t i = 0; i < s.phases.size(); ++i) {
    const AgentConfig& a = s.agents[i];
    const PhaseSnapshot& p = s.phases[i];
    w.str(a.agent_id);
    w.str(a.name);
    w.str(a.role);
    w.u32(a.phase_index);
    w.u8(static_cast<uint8_t>(p.status));
    w.bytes(p.output);
    w.u64(p.duration_ms);
    w.u64(p.tokens_used);
  }
  w.u64(fnv1a64(w.out));
  return std::move(w.out);
}

Result<SessionState> decode_session(std::span<const uint8_t> bytes) {
  using R = Result<SessionState>;
  if (bytes.size() < kHeaderBytes + kChecksumBytes) {
    std::string m = "import-session: ";
    append_u64(m, bytes.size());
    m += " bytes is too short for a session export";
    return R::err(std::move(m));
  }
  for (size_t i = 0; i < 4; ++i) {
    if (bytes[i] != kExportMagic[i]) {
      return R::err("import-session: not a session export (the magic bytes are not \"LKSS\")");
    }
  }
  const uint16_t version = static_cast<uint16_t>(bytes[4] | (bytes[5] << 8));
  if (version != kExportVersion) {
    std::string m = "import-session: unsupported export version ";
    append_u64(m, version);
    m += " (this guest reads version ";
    append_u64(m, kExportVersion);
    m += ")";
    return R::err(std::move(m));
  }
  const auto body = bytes.first(bytes.size() - kChecksumBytes);
  uint64_t stored = 0;
  for (size_t i = 0; i < kChecksumBytes; ++i) {
    stored |= uint64_t{bytes[body.size() + i]} << (8 * i);
  }
  if (stored != fnv1a64(body)) {
    return R::err("import-session: checksum mismatch (the export is corrupt or truncated)");
  }

  Reader r(body.subspan(kHeaderBytes));
  const uint16_t flags = static_cast<uint16_t>(bytes[6] | (bytes[7] << 8));
  if (flags != 0) r.fail("flags", cat(" must be 0, got ", flags));
  SessionState s;
  s.id = r.str("session id", Limits::kMaxIdBytes);
  const uint8_t status = r.u8("session status");
  if (status > static_cast<uint8_t>(SessionStatus::Failed)) {
    r.fail("session status", cat(" ", status, " is out of range (0..", 4, ")"));
  }
  s.status = static_cast<SessionStatus>(status);
  s.current_phase_index = r.u32("current-phase-index");
  s.total_duration_ms = r.u64("total-duration-ms");
  s.total_tokens = r.u64("total-tokens");
  s.created_at_ms = r.u64("created-at-ms");
  s.objective = r.str("objective", Limits::kMaxObjectiveBytes);
  s.context_budget = r.u32("context-budget");
  if (!r.failed() && (s.context_budget < Limits::kMinContextBudget ||
                      s.context_budget > Limits::kMaxContextBudget)) {
    r.fail("context-budget", cat(" ", s.context_budget, " is out of range [",
                                 Limits::kMinContextBudget, ", 1048576]"));
  }
  s.raw_context_bytes = r.u64("raw context bytes");
  s.passed_context_bytes = r.u64("passed context bytes");
  const uint32_t count = r.u32("phase count");
  if (!r.failed() && count > Limits::kMaxAgents) {
    r.fail("phase count", cat(" ", count, " is too many; the limit is ", Limits::kMaxAgents, ""));
  }
  for (uint32_t i = 0; i < count && !r.failed(); ++i) {
    AgentConfig a;
    PhaseSnapshot p;
    a.agent_id = r.str("phase agent-id", Limits::kMaxIdBytes);
    a.name = r.str("phase name", Limits::kMaxNameBytes);
    a.role = r.str("phase role", Limits::kMaxRoleBytes);
    a.phase_index = r.u32("phase-index");
    const uint8_t ps = r.u8("phase status");
    if (!r.failed() && ps > static_cast<uint8_t>(AgentStatus::Failed)) {
      r.fail("phase status", cat(" ", ps, " is out of range (0..", 4, ")"));
    }
    p.status = static_cast<AgentStatus>(ps);
    auto out = r.bytes("phase output", Limits::kMaxOutputBytes);
    assign_bytes(p.output, out);
    p.duration_ms = r.u64("phase duration-ms");
    p.tokens_used = r.u64("phase tokens-used");
    p.agent_id = a.agent_id;
    s.agents.push_back(std::move(a));
    s.phases.push_back(std::move(p));
  }
  if (!r.failed() && r.left() != 0) {
    r.fail("the export", cat(" has ", r.left(), " unexpected bytes after the last phase"));
  }
  if (r.failed()) return R::err(std::move(r.error));
  return R::ok(std::move(s));
}

}  // namespace lokust::session
