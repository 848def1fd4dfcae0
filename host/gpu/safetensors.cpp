#include "host/gpu/safetensors.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

namespace lokust::host::gpu::safetensors {

namespace {

using nlohmann::json;

template <class T>
Result<T> fail(std::string_view label, const std::string& what) {
  std::string m(label);
  m += ": ";
  m += what;
  return Result<T>::err(std::move(m));
}

uint64_t load_u64le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint32_t load_u32le(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

uint16_t load_u16le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

std::string in_quotes(std::string_view s) {
  std::string q = "\"";
  q += s;
  q += '"';
  return q;
}

// One entry of the header; err describes the problem without the label.
Result<TensorInfo> parse_entry(const std::string& name, const json& entry, uint64_t buffer_size) {
  const auto bad = [&](const std::string& what) {
    return Result<TensorInfo>::err("tensor " + in_quotes(name) + ": " + what);
  };
  if (!entry.is_object()) return bad("entry is not a JSON object");
  TensorInfo info;
  const auto dtype = entry.find("dtype");
  if (dtype == entry.end() || !dtype->is_string())
    return bad("\"dtype\" is missing or not a string");
  info.dtype = dtype->get<std::string>();
  const uint64_t size = dtype_size(info.dtype);
  if (size == 0) return bad("unknown dtype " + in_quotes(info.dtype));

  const auto shape = entry.find("shape");
  if (shape == entry.end() || !shape->is_array())
    return bad("\"shape\" is missing or not an array");
  if (shape->size() > kMaxRank) {
    return bad("shape has " + std::to_string(shape->size()) + " dimensions, at most " +
               std::to_string(kMaxRank) + " are supported");
  }
  uint64_t bytes = size;
  bool overflow = false;
  for (const json& d : *shape) {
    if (!d.is_number_unsigned()) return bad("shape entries must be non-negative integers");
    const uint64_t dim = d.get<uint64_t>();
    info.shape.push_back(dim);
    overflow = overflow || __builtin_mul_overflow(bytes, dim, &bytes);
  }

  const auto offsets = entry.find("data_offsets");
  if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
    return bad("\"data_offsets\" must be [begin, end], two non-negative integers");
  }
  info.begin = (*offsets)[0].get<uint64_t>();
  info.end = (*offsets)[1].get<uint64_t>();
  if (info.begin > info.end || info.end > buffer_size) {
    return bad("data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) +
               "] are outside the data buffer of " + std::to_string(buffer_size) + " bytes");
  }
  if (overflow || bytes != info.end - info.begin) {
    std::string shape_text;
    for (size_t i = 0; i < info.shape.size(); ++i) {
      shape_text += (i ? ", " : "") + std::to_string(info.shape[i]);
    }
    return bad("dtype " + info.dtype + " with shape [" + shape_text + "] needs " +
               (overflow ? std::string("more than 2^64") : std::to_string(bytes)) +
               " bytes, data_offsets span " + std::to_string(info.end - info.begin));
  }
  return Result<TensorInfo>::ok(std::move(info));
}

}  // namespace

uint64_t TensorInfo::elements() const {
  uint64_t n = 1;
  for (const uint64_t d : shape) n *= d;  // checked against the offsets when parsed
  return n;
}

uint64_t dtype_size(std::string_view dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" ||
      dtype == "F8_E5M2") {
    return 1;
  }
  return 0;
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {  // inf, NaN (payload kept)
    bits = sign | 0x7F800000u | (mant << 13);
  } else if (exp != 0) {  // normal
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {  // zero
    bits = sign;
  } else {  // subnormal: normalise the mantissa
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400u) == 0);
    bits = sign | ((112 - static_cast<uint32_t>(e)) << 23) | ((mant & 0x3FFu) << 13);
  }
  return std::bit_cast<float>(bits);
}

float bf16_to_f32(uint16_t bits) { return std::bit_cast<float>(uint32_t{bits} << 16); }

Result<File> parse(std::vector<uint8_t> bytes, std::string_view label) {
  if (bytes.size() < 8) {
    return fail<File>(label, "file is " + std::to_string(bytes.size()) +
                                 " bytes, too short for the 8-byte header length");
  }
  const uint64_t n = load_u64le(bytes.data());
  if (n > bytes.size() - 8 || n > kMaxHeaderBytes) {
    return fail<File>(label, "header length " + std::to_string(n) + " exceeds the file (" +
                                 std::to_string(bytes.size()) + " bytes) or the limit of " +
                                 std::to_string(kMaxHeaderBytes) + " bytes");
  }
  File file;
  file.data_start = 8 + n;
  const uint64_t buffer_size = bytes.size() - file.data_start;
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + static_cast<std::ptrdiff_t>(8 + n));
  } catch (const json::exception& e) {
    return fail<File>(label, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) return fail<File>(label, "header is not a JSON object");
  try {
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        if (!entry.is_object()) return fail<File>(label, "__metadata__ is not a JSON object");
        for (const auto& [key, value] : entry.items()) {
          if (!value.is_string()) {
            return fail<File>(label,
                              "__metadata__ value of " + in_quotes(key) + " is not a string");
          }
          file.metadata[key] = value.get<std::string>();
        }
        continue;
      }
      auto info = parse_entry(name, entry, buffer_size);
      if (!info) return fail<File>(label, info.error());
      file.tensors.emplace(name, std::move(info).value());
    }
  } catch (const json::exception& e) {  // not expected after the checks above
    return fail<File>(label, std::string("header: ") + e.what());
  }
  file.bytes = std::move(bytes);
  return Result<File>::ok(std::move(file));
}

Result<File> read(const std::filesystem::path& path, std::string_view label) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail<File>(label, "no such file");
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return fail<File>(label, "cannot read the file size: " + ec.message());
  if (size > kMaxFileBytes) {
    return fail<File>(label, "file is " + std::to_string(size) + " bytes, more than the limit of " +
                                 std::to_string(kMaxFileBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail<File>(label, "cannot open the file");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<uintmax_t>(in.gcount()) != size) {
    return fail<File>(label, "short read (the file changed while being read?)");
  }
  return parse(std::move(bytes), label);
}

Result<std::vector<float>> File::to_f32(std::string_view name) const {
  const auto it = tensors.find(std::string(name));
  if (it == tensors.end()) {
    return Result<std::vector<float>>::err("no tensor " + in_quotes(name));
  }
  const TensorInfo& t = it->second;
  const uint8_t* p = bytes.data() + data_start + t.begin;
  const uint64_t count = t.elements();
  std::vector<float> out(static_cast<size_t>(count));
  if (t.dtype == "F32") {
    for (uint64_t i = 0; i < count; ++i) out[i] = std::bit_cast<float>(load_u32le(p + 4 * i));
  } else if (t.dtype == "F16") {
    for (uint64_t i = 0; i < count; ++i) out[i] = f16_to_f32(load_u16le(p + 2 * i));
  } else if (t.dtype == "BF16") {
    for (uint64_t i = 0; i < count; ++i) out[i] = bf16_to_f32(load_u16le(p + 2 * i));
  } else {
    return Result<std::vector<float>>::err("tensor " + in_quotes(name) + " has dtype " + t.dtype +
                                           ", only F32, F16 and BF16 are supported");
  }
  return Result<std::vector<float>>::ok(std::move(out));
}

}  // namespace lokust::host::gpu::safetensors
