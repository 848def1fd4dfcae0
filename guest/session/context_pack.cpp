#include "guest/context_pack.h"

#include <cmath>

#include "guest/embed.h"
#include "guest/text.h"

namespace lokust::session {

namespace {

constexpr std::string_view kMarkerOpen = "\n[... ";
constexpr std::string_view kMarkerClose = " bytes elided ...]\n";

size_t marker_size(uint64_t elided) {
  return kMarkerOpen.size() + decimal_digits(elided) + kMarkerClose.size();
}

void append(std::vector<uint8_t>& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

void append(std::vector<uint8_t>& out, std::span<const uint8_t> s) {
  out.insert(out.end(), s.begin(), s.end());
}

std::vector<uint8_t> whole_entry(const std::string& header, std::span<const uint8_t> output) {
  std::vector<uint8_t> e;
  e.reserve(header.size() + output.size() + 1);
  append(e, header);
  append(e, output);
  e.push_back('\n');
  return e;
}

// The entry cut to at most `room` bytes: header, head, marker, tail, "\n". Empty if the
// header, marker and newline plus `min_content` bytes of content do not fit.
std::vector<uint8_t> excerpt_entry(const std::string& header, std::span<const uint8_t> output,
                                   size_t room, size_t min_content) {
  const size_t len = output.size();
  const size_t fixed = header.size() + 1 + marker_size(len);
  if (room < fixed || room - fixed < min_content) return {};
  const size_t content = std::min(room - fixed, len);
  size_t head_end = content - content / 2;
  size_t tail_start = len - content / 2;
  if (is_valid_utf8(output)) {
    head_end = utf8_floor(output, head_end);
    tail_start = utf8_ceil(output, tail_start);
  }
  std::vector<uint8_t> e;
  append(e, header);
  append(e, output.first(head_end));
  append(e, elision_marker(tail_start - head_end));
  append(e, output.subspan(tail_start));
  e.push_back('\n');
  return e;
}

}  // namespace

std::string phase_header(uint32_t phase_number, uint32_t total_phases, std::string_view agent_id) {
  std::string h = "[phase ";
  append_u64(h, phase_number);
  h += " of ";
  append_u64(h, total_phases);
  h += ": ";
  for (char c : agent_id) {
    const auto u = static_cast<unsigned char>(c);
    h.push_back(u < 0x20 || u == 0x7F ? ' ' : c);
  }
  h += "]\n";
  return h;
}

std::string elision_marker(uint64_t elided) {
  std::string m(kMarkerOpen);
  append_u64(m, elided);
  m += kMarkerClose;
  return m;
}

std::vector<uint8_t> raw_context(std::span<const ContextSource> sources, uint32_t total_phases) {
  std::vector<uint8_t> raw;
  for (const ContextSource& s : sources) {
    append(raw, phase_header(s.phase_number, total_phases, s.agent_id));
    append(raw, s.output);
    raw.push_back('\n');
  }
  return raw;
}

std::vector<int64_t> relevance_scores(Platform& platform, std::string_view query,
                                      std::span<const std::span<const uint8_t>> candidates) {
  std::vector<std::span<const uint8_t>> texts;
  texts.reserve(candidates.size() + 1);
  texts.push_back(as_bytes(query));
  texts.insert(texts.end(), candidates.begin(), candidates.end());
  const Tensor input = embed::make_input(texts);
  const size_t n = texts.size();

  std::vector<float> rows;
  if (platform.gpu_available()) {
    Result<Tensor> r = platform.gpu_infer(embed::kModelId, input);
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
  if (rows.empty()) {
    Result<Tensor> r = embed::embed_v1(input);
    if (r.is_ok()) rows = std::move(r.value().data);
  }
  std::vector<int64_t> scores(candidates.size(), 0);
  if (rows.size() != n * embed::kDim) return scores;
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
                         uint32_t total_phases, std::string_view query, uint32_t budget) {
  ContextPack pack;
  for (const ContextSource& s : sources) {
    pack.raw_bytes +=
        phase_header(s.phase_number, total_phases, s.agent_id).size() + s.output.size() + 1;
  }
  if (pack.raw_bytes <= budget) {
    pack.bytes = raw_context(sources, total_phases);
    return pack;
  }

  const size_t m = sources.size();
  std::vector<std::vector<uint8_t>> pieces(m);
  size_t room = budget;
  auto header_of = [&](size_t i) {
    return phase_header(sources[i].phase_number, total_phases, sources[i].agent_id);
  };

  // The newest output first: whole, or as an excerpt of whatever room there is.
  {
    const std::string h = header_of(m - 1);
    const auto out = sources[m - 1].output;
    std::vector<uint8_t> e =
        h.size() + out.size() + 1 <= room ? whole_entry(h, out) : excerpt_entry(h, out, room, 0);
    room -= e.size();
    pieces[m - 1] = std::move(e);
  }

  // Older outputs: all of them whole if they fit, else by relevance.
  const size_t older = m - 1;
  size_t whole_total = 0;
  for (size_t i = 0; i < older; ++i) {
    whole_total += header_of(i).size() + sources[i].output.size() + 1;
  }
  if (whole_total <= room) {
    for (size_t i = 0; i < older; ++i) pieces[i] = whole_entry(header_of(i), sources[i].output);
  } else if (older > 0) {
    std::vector<std::span<const uint8_t>> candidates;
    candidates.reserve(older);
    for (size_t i = 0; i < older; ++i) candidates.push_back(sources[i].output);
    const std::vector<int64_t> scores = relevance_scores(platform, query, candidates);
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
      const std::string h = header_of(i);
      const auto out = sources[i].output;
      std::vector<uint8_t> e = h.size() + out.size() + 1 <= room
                                   ? whole_entry(h, out)
                                   : excerpt_entry(h, out, room, kMinExcerptContent);
      room -= e.size();
      pieces[i] = std::move(e);
    }
  }

  pack.bytes.reserve(budget - room);
  for (const auto& p : pieces) append(pack.bytes, p);
  return pack;
}

}  // namespace lokust::session
