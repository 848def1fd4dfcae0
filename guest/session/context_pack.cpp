#include "guest/context_pack.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "guest/embed.h"
#include "guest/text.h"

namespace lokust::session {

namespace {

constexpr std::string_view kMarkerOpen = "\n[... ";
constexpr std::string_view kMarkerClose = " bytes elided ...]\n";

size_t marker_size(uint64_t elided) {
  return kMarkerOpen.size() + decimal_digits(elided) + kMarkerClose.size();
}

void append(std::vector<uint8_t>& out, std::span<const uint8_t> s) { append_bytes(out, s); }
void append(std::vector<uint8_t>& out, std::string_view s) { append_bytes(out, as_bytes(s)); }

// The context is written into memory sized beforehand (every entry's size is known up
// front): put() is one memcpy per piece, where vector::insert runs its capacity checks and
// bookkeeping for each of a header's seven pieces, which the interpreter pays for in every
// phase. Each put returns the end of what it wrote.
uint8_t* put(uint8_t* p, std::span<const uint8_t> s) {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}
uint8_t* put(uint8_t* p, std::string_view s) { return put(p, as_bytes(s)); }

uint8_t* put_u64(uint8_t* p, uint64_t value) {
  uint8_t* const end = p + decimal_digits(value);
  uint8_t* q = end;
  do {
    *--q = static_cast<uint8_t>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return end;
}

// phase_header's bytes: phase_header_size(phase_number, total_phases, agent_id) of them.
uint8_t* put_header(uint8_t* p, uint32_t phase_number, uint32_t total_phases,
                    std::string_view agent_id) {
  p = put(p, std::string_view("[phase "));
  p = put_u64(p, phase_number);
  p = put(p, std::string_view(" of "));
  p = put_u64(p, total_phases);
  p = put(p, std::string_view(": "));
  for (char c : agent_id) {
    const auto u = static_cast<uint8_t>(c);
    *p++ = u < 0x20 || u == 0x7F ? ' ' : u;
  }
  return put(p, std::string_view("]\n"));
}

void append_header(std::vector<uint8_t>& out, uint32_t phase_number, uint32_t total_phases,
                   std::string_view agent_id) {
  const size_t at = out.size();
  out.resize(at + phase_header_size(phase_number, total_phases, agent_id));
  put_header(out.data() + at, phase_number, total_phases, agent_id);
}

// header, output, "\n": entry_size(s, total_phases) bytes.
uint8_t* put_entry(uint8_t* p, const ContextSource& s, uint32_t total_phases) {
  p = put_header(p, s.phase_number, total_phases, s.agent_id);
  p = put(p, s.output);
  *p++ = '\n';
  return p;
}

size_t entry_size(const ContextSource& s, uint32_t total_phases) {
  return phase_header_size(s.phase_number, total_phases, s.agent_id) + s.output.size() + 1;
}

std::vector<uint8_t> whole_entry(const ContextSource& s, uint32_t total_phases) {
  std::vector<uint8_t> e(entry_size(s, total_phases));
  put_entry(e.data(), s, total_phases);
  return e;
}

// The entry cut to at most `room` bytes: header, head, marker, tail, "\n". Empty if the
// header, marker and newline plus `min_content` bytes of content do not fit.
std::vector<uint8_t> excerpt_entry(const ContextSource& s, uint32_t total_phases, size_t room,
                                   size_t min_content) {
  const std::span<const uint8_t> output = s.output;
  const size_t len = output.size();
  const size_t header_size = phase_header_size(s.phase_number, total_phases, s.agent_id);
  const size_t fixed = header_size + 1 + marker_size(len);
  if (room < fixed || room - fixed < min_content) return {};
  const size_t content = std::min(room - fixed, len);
  size_t head_end = content - content / 2;
  size_t tail_start = len - content / 2;
  if (is_valid_utf8(output)) {
    head_end = utf8_floor(output, head_end);
    tail_start = utf8_ceil(output, tail_start);
  }
  std::vector<uint8_t> e;
  e.reserve(fixed + content);
  append_header(e, s.phase_number, total_phases, s.agent_id);
  append(e, output.first(head_end));
  append(e, elision_marker(tail_start - head_end));
  append(e, output.subspan(tail_start));
  e.push_back('\n');
  return e;
}

}  // namespace

std::string phase_header(uint32_t phase_number, uint32_t total_phases, std::string_view agent_id) {
  std::string h(phase_header_size(phase_number, total_phases, agent_id), '\0');
  put_header(reinterpret_cast<uint8_t*>(h.data()), phase_number, total_phases, agent_id);
  return h;
}

std::string elision_marker(uint64_t elided) {
  std::string m(kMarkerOpen);
  append_u64(m, elided);
  m += kMarkerClose;
  return m;
}

size_t phase_header_size(uint32_t phase_number, uint32_t total_phases, std::string_view agent_id) {
  return std::string_view("[phase ").size() + decimal_digits(phase_number) +
         std::string_view(" of ").size() + decimal_digits(total_phases) +
         std::string_view(": ").size() + agent_id.size() + std::string_view("]\n").size();
}

namespace {
// raw_context into `raw`, whose memory it reuses.
void raw_context_into(std::vector<uint8_t>& raw, std::span<const ContextSource> sources,
                      uint32_t total_phases, size_t size) {
  raw.clear();
  raw.resize(size);
  uint8_t* p = raw.data();
  for (const ContextSource& s : sources) p = put_entry(p, s, total_phases);
  if (p != raw.data() + raw.size()) __builtin_trap();  // `size` was not the entries' sum
}
}  // namespace

std::vector<uint8_t> raw_context(std::span<const ContextSource> sources, uint32_t total_phases) {
  size_t size = 0;
  for (const ContextSource& s : sources) size += entry_size(s, total_phases);
  std::vector<uint8_t> raw;
  raw_context_into(raw, sources, total_phases, size);
  return raw;
}

namespace {

// Token ids of the query (row 0) and of each candidate (row i + 1), the candidates' from the
// cache where it has them (tokenized once per session) and stored there when not.
std::vector<std::span<const uint32_t>> token_rows(
    std::string_view query, std::span<const std::span<const uint8_t>> candidates,
    EmbedRowCache* cache, std::span<const uint32_t> cache_keys,
    std::vector<std::vector<uint32_t>>& local) {
  const size_t n = candidates.size() + 1;
  local.assign(n, {});
  if (cache != nullptr) {
    // Sized first: the spans below point into cache->ids and must not move.
    size_t need = 0;
    for (size_t i = 0; i < candidates.size() && i < cache_keys.size(); ++i) {
      need = std::max(need, size_t{cache_keys[i]} + 1);
    }
    if (cache->ids.size() < need) {
      cache->ids.resize(need);
      cache->tokenized.resize(need, 0);
    }
  }
  std::vector<std::span<const uint32_t>> rows(n);
  local[0] = embed::tokenize(as_bytes(query));
  rows[0] = local[0];
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (cache != nullptr && i < cache_keys.size()) {
      const uint32_t k = cache_keys[i];
      if (!cache->tokenized[k]) {
        cache->ids[k] = embed::tokenize(candidates[i]);
        cache->tokenized[k] = 1;
      }
      rows[i + 1] = cache->ids[k];
    } else {
      local[i + 1] = embed::tokenize(candidates[i]);
      rows[i + 1] = local[i + 1];
    }
  }
  return rows;
}

// The rows ([n, kDim], the query first) computed by the guest: equal to
// embed_v1(embed::make_input_from_ids(ids)) (padding ids do not change a row, and these inputs are
// always within the model's limits), reusing and filling the cache's rows for the candidates.
std::vector<float> guest_rows(std::span<const std::span<const uint32_t>> ids, EmbedRowCache* cache,
                              std::span<const uint32_t> cache_keys) {
  const size_t n = ids.size();
  std::vector<float> rows(n * embed::kDim, 0.0f);
  embed::TokenVectorCache vectors;
  embed::embed_row(ids[0], rows.data(), vectors);
  for (size_t i = 0; i + 1 < n; ++i) {
    float* row = rows.data() + (i + 1) * embed::kDim;
    std::vector<float>* cached = nullptr;
    if (cache != nullptr && i < cache_keys.size()) {
      if (cache->rows.size() <= cache_keys[i]) cache->rows.resize(size_t{cache_keys[i]} + 1);
      cached = &cache->rows[cache_keys[i]];
      if (cached->size() == embed::kDim) {
        std::copy(cached->begin(), cached->end(), row);
        continue;
      }
    }
    embed::embed_row(ids[i + 1], row, vectors);
    if (cached != nullptr) cached->assign(row, row + embed::kDim);
  }
  return rows;
}

}  // namespace

std::vector<int64_t> relevance_scores(Platform& platform, std::string_view query,
                                      std::span<const std::span<const uint8_t>> candidates,
                                      EmbedRowCache* cache, std::span<const uint32_t> cache_keys) {
  const size_t n = candidates.size() + 1;
  std::vector<std::vector<uint32_t>> local;
  const std::vector<std::span<const uint32_t>> ids =
      token_rows(query, candidates, cache, cache_keys, local);
  std::vector<float> rows;
  if (platform.gpu_available()) {
    Result<Tensor> r = platform.gpu_infer(embed::kModelId, embed::make_input_from_ids(ids));
    if (r.is_ok() && r.value().shape.size() == 2 && r.value().shape[0] == n &&
        r.value().shape[1] == embed::kDim && r.value().data.size() == n * embed::kDim) {
      rows = std::move(r.value().data);
      for (float v : rows) {
        if (!std::isfinite(v)) {
          rows.clear();
          break;
        }
      }
    }
  }
  if (rows.empty()) rows = guest_rows(ids, cache, cache_keys);
  std::vector<int64_t> scores(candidates.size(), 0);
  const float* q = rows.data();
  for (size_t i = 0; i < candidates.size(); ++i) {
    const float* c = rows.data() + (i + 1) * embed::kDim;
    double dot = 0.0;
    for (uint32_t j = 0; j < embed::kDim; ++j) {
      const double p = static_cast<double>(q[j]) * static_cast<double>(c[j]);
      dot = dot + p;
    }
    scores[i] = static_cast<int64_t>(std::floor(dot * 1e6 + 0.5));
  }
  return scores;
}

ContextPack pack_context(Platform& platform, std::span<const ContextSource> sources,
                         uint32_t total_phases, std::string_view query, uint32_t budget,
                         EmbedRowCache* cache, std::vector<uint8_t> buffer) {
  ContextPack pack;
  pack.bytes = std::move(buffer);
  pack.bytes.clear();
  for (const ContextSource& s : sources) pack.raw_bytes += entry_size(s, total_phases);
  if (pack.raw_bytes <= budget) {
    raw_context_into(pack.bytes, sources, total_phases, pack.raw_bytes);
    return pack;
  }

  const size_t m = sources.size();
  std::vector<std::vector<uint8_t>> pieces(m);
  size_t room = budget;

  // The newest output first: whole, or as an excerpt of whatever room there is.
  {
    const ContextSource& s = sources[m - 1];
    std::vector<uint8_t> e = entry_size(s, total_phases) <= room
                                 ? whole_entry(s, total_phases)
                                 : excerpt_entry(s, total_phases, room, 0);
    room -= e.size();
    pieces[m - 1] = std::move(e);
  }

  // Older outputs: all of them whole if they fit, else by relevance.
  const size_t older = m - 1;
  size_t whole_total = 0;
  for (size_t i = 0; i < older; ++i) whole_total += entry_size(sources[i], total_phases);
  if (whole_total <= room) {
    for (size_t i = 0; i < older; ++i) pieces[i] = whole_entry(sources[i], total_phases);
  } else if (older > 0) {
    std::vector<std::span<const uint8_t>> candidates;
    std::vector<uint32_t> keys;
    candidates.reserve(older);
    keys.reserve(older);
    for (size_t i = 0; i < older; ++i) {
      candidates.push_back(sources[i].output);
      keys.push_back(sources[i].phase_number - 1);
    }
    const std::vector<int64_t> scores = relevance_scores(platform, query, candidates, cache, keys);
    // Ranking: descending score, ties the newer first. An insertion sort: at most 255
    // candidates, and far smaller code in the wasm guest than std::sort.
    std::vector<size_t> order;
    order.reserve(older);
    for (size_t i = 0; i < older; ++i) {
      size_t at = order.size();
      while (at > 0 && (scores[order[at - 1]] < scores[i] ||
                        (scores[order[at - 1]] == scores[i] && order[at - 1] < i))) {
        --at;
      }
      order.insert(order.begin() + static_cast<ptrdiff_t>(at), i);
    }
    for (size_t i : order) {
      const ContextSource& s = sources[i];
      std::vector<uint8_t> e = entry_size(s, total_phases) <= room
                                   ? whole_entry(s, total_phases)
                                   : excerpt_entry(s, total_phases, room, kMinExcerptContent);
      room -= e.size();
      pieces[i] = std::move(e);
    }
  }

  pack.bytes.reserve(budget - room);
  for (const auto& p : pieces) append(pack.bytes, p);
  return pack;
}

}  // namespace lokust::session
