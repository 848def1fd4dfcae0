// The extension's full-fidelity export format ("LKSS", version 1): layout and checks in
// docs/session-behaviour.md ("Export format").
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "guest/session.h"
#include "guest/session_state.h"

namespace lokust::session {

inline constexpr uint8_t kExportMagic[4] = {'L', 'K', 'S', 'S'};
inline constexpr uint16_t kExportVersion = 1;

// FNV-1a, 64 bits, over `bytes`.
uint64_t fnv1a64(std::span<const uint8_t> bytes);

std::vector<uint8_t> encode_session(const SessionState& state);

// Checks magic, version, checksum, every length against the bytes left, Limits, UTF-8 of
// every string and the range of every enum; err names the first problem. The state is
// returned as stored (the caller repairs and re-identifies it).
Result<SessionState> decode_session(std::span<const uint8_t> bytes);

}  // namespace lokust::session
