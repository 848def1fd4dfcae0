// See abi_host.h.
#include "abi_host.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#ifndef LOKUST_ABI_CALLS_JSON
#error "LOKUST_ABI_CALLS_JSON must name tests/abi-components/calls.json"
#endif

namespace lokust::abitest {

using component::Result;
using component::ValKind;
using component::ValType;
using HostResult = component::Result<std::vector<Val>>;

namespace {

std::vector<char32_t> DecodeUtf8(const std::string& s) {  // s is valid UTF-8 (a Val's string)
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    char32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    out.push_back(cp);
    i += n;
  }
  return out;
}

std::string EncodeUtf8(const std::vector<char32_t>& cps) {
  std::string s;
  for (char32_t c : cps) {
    if (c < 0x80) {
      s += static_cast<char>(c);
    } else if (c < 0x800) {
      s += static_cast<char>(0xc0 | (c >> 6));
      s += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      s += static_cast<char>(0xe0 | (c >> 12));
      s += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      s += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      s += static_cast<char>(0xf0 | (c >> 18));
      s += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
      s += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      s += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return s;
}

int32_t S32Bits(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

Val Point(int32_t x, int32_t y) { return Val::Record({{"x", Val::S32(x)}, {"y", Val::S32(y)}}); }

HostResult One(Val v) { return std::vector<Val>{std::move(v)}; }

std::string Hex(uint64_t bits, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"0x%0*llx\"", digits, static_cast<unsigned long long>(bits));
  return buf;
}

}  // namespace

uint32_t HostState::NewBlob(std::vector<uint8_t> bytes) {
  blobs[next_rep] = std::move(bytes);
  return next_rep++;
}

// ---- host-fns on Vals ------------------------------------------------------------------

namespace host {

Val Scalars(const std::vector<Val>& a) {
  char32_t l = a[11].as_char();
  if (l >= 'a' && l <= 'z')
    l -= 32;
  else if (l >= 'A' && l <= 'Z')
    l += 32;
  return Val::Tuple({
      Val::Bool(!a[0].as_bool()),
      Val::S8(static_cast<int8_t>(a[1].as_s64() + 1)),
      Val::U8(static_cast<uint8_t>(a[2].as_u64() + 1)),
      Val::S16(static_cast<int16_t>(a[3].as_s64() + 1)),
      Val::U16(static_cast<uint16_t>(a[4].as_u64() + 1)),
      Val::S32(static_cast<int32_t>(static_cast<uint32_t>(a[5].as_s64()) + 1u)),
      Val::U32(static_cast<uint32_t>(a[6].as_u64() + 1)),
      Val::S64(static_cast<int64_t>(static_cast<uint64_t>(a[7].as_s64()) + 1u)),
      Val::U64(a[8].as_u64() + 1),
      Val::F32(a[9].as_f32() * 2.0f),
      Val::F64(a[10].as_f64() + 0.5),
      Val::Char(l),
  });
}

std::string ReverseString(const std::string& utf8) {
  std::vector<char32_t> cps = DecodeUtf8(utf8);
  return EncodeUtf8(std::vector<char32_t>(cps.rbegin(), cps.rend()));
}

Val TransformPerson(const Val& p) {
  std::string name = p.field("name")->as_string();
  for (char& c : name)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  std::vector<Val> tags = p.field("tags")->elements();
  tags.push_back(Val::String("host"));
  const Val& score = *p.field("score");
  const Val& pos = *p.field("pos");
  return Val::Record({
      {"name", Val::String(name)},
      {"age", Val::U8(static_cast<uint8_t>(p.field("age")->as_u64() + 1))},
      {"tags", Val::List(std::move(tags))},
      {"score", score.is_some() ? Val::Option(Val::F64(score.payload()->as_f64() * 2))
                                : Val::Option(std::nullopt)},
      {"pos", Point(static_cast<int32_t>(pos.field("y")->as_s64()),
                    static_cast<int32_t>(pos.field("x")->as_s64()))},
  });
}

Val SumPoints(const Val& list) {
  uint32_t x = 0, y = 0;
  for (const Val& p : list.elements()) {
    x += static_cast<uint32_t>(p.field("x")->as_s64());
    y += static_cast<uint32_t>(p.field("y")->as_s64());
  }
  return Point(static_cast<int32_t>(x), static_cast<int32_t>(y));
}

Val NextShape(const Val& s) {
  const std::string& tag = s.label();
  if (tag == "empty") return Val::Variant("circle", Val::F32(1.5f));
  if (tag == "circle") return Val::Variant("circle", Val::F32(s.payload()->as_f32() * 2.0f));
  if (tag == "rect") {
    const Val& p = *s.payload();
    return Val::Variant("label", Val::String("rect:" + std::to_string(p.field("x")->as_s64()) +
                                             "," + std::to_string(p.field("y")->as_s64())));
  }
  if (tag == "label") return Val::Variant("big", Val::U64(s.payload()->as_string().size()));
  uint64_t n = s.payload()->as_u64();  // big
  return Val::Variant("rect", Point(static_cast<int32_t>(static_cast<uint32_t>(n)),
                                    static_cast<int32_t>(static_cast<uint32_t>(n >> 32))));
}

std::string NextColor(const std::string& c) {
  return c == "red" ? "green" : c == "green" ? "blue" : "red";
}

Val NextNum(const Val& n) {
  const std::string& tag = n.label();
  const Val& v = *n.payload();
  if (tag == "i") return Val::Variant("f", Val::F64(static_cast<double>(v.as_s64())));
  if (tag == "f") return Val::Variant("s", Val::F32(static_cast<float>(v.as_f64())));
  if (tag == "s") return Val::Variant("u", Val::U8(std::bit_cast<uint32_t>(v.as_f32()) & 0xff));
  return Val::Variant("i", Val::S64(-static_cast<int64_t>(v.as_u64()) - 1));  // u
}

Val MaybeDouble(const Val& opt) {
  if (!opt.is_some()) return Val::Option(Val::U32(7));
  return Val::Option(Val::U32(static_cast<uint32_t>(opt.payload()->as_u64() * 2)));
}

Val Check(int32_t n) {
  if (n < 0) return Val::Result(false, Val::String("negative " + std::to_string(n)));
  return Val::Result(true, Val::U32(static_cast<uint32_t>(n) * 2u));
}

Val Regroup(const Val& t, const Val& r) {
  std::vector<Val> out;
  int32_t len = static_cast<int32_t>(t.elements()[1].as_string().size());
  for (uint64_t i = 0; i < t.elements()[0].as_u64(); ++i)
    out.push_back(Point(static_cast<int32_t>(i), len));
  if (r.is_ok())
    out.push_back(Point(S32Bits(r.payload()->as_u64()), 0));
  else
    out.push_back(Point(-1, static_cast<int32_t>(r.payload()->as_string().size())));
  return Val::List(std::move(out));
}

Val FlipFlags(const Val& flags, const std::vector<std::string>& all) {
  std::vector<std::string> out;
  for (const std::string& f : all) {
    bool set = false;
    for (const std::string& g : flags.flags()) set = set || g == f;
    if (!set) out.push_back(f);
  }
  return Val::Flags(std::move(out));
}

uint64_t Many(const std::vector<Val>& a) {
  uint64_t s = a[0].as_u64() + static_cast<uint64_t>(a[1].as_s64()) + a[2].as_u64() +
               static_cast<uint64_t>(a[3].as_s64()) + std::bit_cast<uint32_t>(a[4].as_f32()) +
               std::bit_cast<uint64_t>(a[5].as_f64()) + a[6].as_string().size();
  for (uint8_t b : a[7].as_bytes()) s += b;
  return s + a[8].as_u64() + a[9].as_char() + (a[10].as_bool() ? 1 : 0) +
         static_cast<uint64_t>(a[11].as_s64()) + a[12].as_u64() +
         static_cast<uint64_t>(a[13].as_s64()) + a[14].as_string().size() + a[15].as_u64();
}

}  // namespace host

static std::vector<std::string> FlagNames(const char* prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

void DefineHostFns(component::Linker& linker, HostState& st) {
  linker.Instance("lokust:abi-test/types");  // types only: an instance with nothing to define
  auto& h = linker.Instance(kHostFns);
  auto def = [&](const char* name, std::function<HostResult(const std::vector<Val>&)> fn) {
    (void)h.DefineFunc(name,
                       [&st, name = std::string(name),
                        fn = std::move(fn)](const std::vector<Val>& a) -> HostResult {
                         ++st.host_calls;
                         if (auto it = st.overrides.find(name); it != st.overrides.end())
                           return it->second(a);
                         return fn(a);
                       });
  };
  h.DefineResource("blob", [&st](uint32_t rep) {
    st.log.push_back("blob-dropped " + Bytes(st.blobs.at(rep)));
    st.blobs.erase(rep);
  });
  def("[constructor]blob",
      [&st](const auto& a) { return One(Val::Own(st.NewBlob(a[0].as_bytes()))); });
  def("[method]blob.size", [&st](const auto& a) {
    return One(Val::U32(static_cast<uint32_t>(st.blobs.at(a[0].handle()).size())));
  });
  def("[method]blob.read",
      [&st](const auto& a) { return One(Val::Bytes(st.blobs.at(a[0].handle()))); });
  def("[static]blob.concat", [&st](const auto& a) {
    std::vector<uint8_t> b = st.blobs.at(a[0].handle());
    const std::vector<uint8_t>& c = st.blobs.at(a[1].handle());
    b.insert(b.end(), c.begin(), c.end());
    return One(Val::Own(st.NewBlob(std::move(b))));
  });
  def("consume-blob", [&st](const auto& a) {
    std::vector<uint8_t> b = st.blobs.at(a[0].handle());
    st.log.push_back("blob-consumed " + Bytes(b));
    st.blobs.erase(a[0].handle());  // ours now: freed without the dtor, as jco's host does
    return One(Val::Bytes(std::vector<uint8_t>(b.rbegin(), b.rend())));
  });
  def("scalars", [](const auto& a) { return One(host::Scalars(a)); });
  def("reverse-string",
      [](const auto& a) { return One(Val::String(host::ReverseString(a[0].as_string()))); });
  def("join-strings", [](const auto& a) {
    std::string s;
    for (size_t i = 0; i < a[0].elements().size(); ++i)
      s += (i ? a[1].as_string() : "") + a[0].elements()[i].as_string();
    return One(Val::String(s));
  });
  def("bytes-xor", [](const auto& a) {
    std::vector<uint8_t> b = a[0].as_bytes();
    for (uint8_t& x : b) x ^= static_cast<uint8_t>(a[1].as_u64());
    return One(Val::Bytes(b));
  });
  def("transform-person", [](const auto& a) { return One(host::TransformPerson(a[0])); });
  def("sum-points", [](const auto& a) { return One(host::SumPoints(a[0])); });
  def("next-shape", [](const auto& a) { return One(host::NextShape(a[0])); });
  def("next-color", [](const auto& a) { return One(Val::Enum(host::NextColor(a[0].label()))); });
  def("next-num", [](const auto& a) { return One(host::NextNum(a[0])); });
  def("maybe-double", [](const auto& a) { return One(host::MaybeDouble(a[0])); });
  def("check", [](const auto& a) { return One(host::Check(static_cast<int32_t>(a[0].as_s64()))); });
  def("regroup", [](const auto& a) { return One(host::Regroup(a[0], a[1])); });
  def("flip-flags", [](const auto& a) {
    return One(Val::Tuple({host::FlipFlags(a[0], {"a", "b", "c", "d"}),
                           host::FlipFlags(a[1], FlagNames("m", 12)),
                           host::FlipFlags(a[2], FlagNames("b", 32))}));
  });
  def("many", [](const auto& a) {
    return One(Val::Tuple({Val::U64(host::Many(a)), Val::U32(16)}));
  });
  def("acc-dropped", [&st](const auto& a) {
    st.log.push_back("acc-dropped " + Quote(a[0].as_string()));
    return HostResult(std::vector<Val>{});
  });

  auto& str = linker.Instance("lokust:abi-test/str-host");
  (void)str.DefineFunc("reverse", [&st](const std::vector<Val>& a) -> HostResult {
    ++st.host_calls;
    return One(Val::String(host::ReverseString(a[0].as_string())));
  });
  (void)str.DefineFunc("join", [&st](const std::vector<Val>& a) -> HostResult {
    ++st.host_calls;
    std::string s;
    for (size_t i = 0; i < a[0].elements().size(); ++i)
      s += (i ? a[1].as_string() : "") + a[0].elements()[i].as_string();
    return One(Val::String(s));
  });
}

// ---- loading ------------------------------------------------------------------------------

std::string AbiInstance::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
  if (bytes.empty()) return path + ": cannot read";
  auto c = component::Component::Compile(bytes);
  if (!c) return path + ": " + c.error().ToString();
  component = *c;
  DefineHostFns(linker, host);
  auto inst = component::Instance::Instantiate(store, *component, linker);
  if (!inst) return path + ": " + inst.error().ToString();
  instance = std::move(*inst);
  return "";
}

Result<std::vector<Val>> AbiInstance::Call(const char* iface, const std::string& fn,
                                           const std::vector<Val>& args) {
  auto f = instance->GetFunc(iface, fn);
  if (!f) return f.error();
  return (*f)->Call(args);
}

// ---- JSON <-> Val -------------------------------------------------------------------------

namespace {

template <class T>
T Int(const nlohmann::json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    return static_cast<T>(s[0] == '-' ? std::stoll(s) : static_cast<long long>(std::stoull(s)));
  }
  return v.get<T>();
}

double Float(const nlohmann::json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "nan") return std::nan("");
    if (s == "inf") return INFINITY;
    if (s == "-inf") return -INFINITY;
    if (s == "-0") return -0.0;
    return std::stod(s);
  }
  return v.get<double>();
}

}  // namespace

Val FromJson(const nlohmann::json& v, const ValTypePtr& t) {
  switch (t->kind) {
    case ValKind::kBool:
      return Val::Bool(v.get<bool>());
    case ValKind::kS8:
      return Val::S8(Int<int8_t>(v));
    case ValKind::kU8:
      return Val::U8(Int<uint8_t>(v));
    case ValKind::kS16:
      return Val::S16(Int<int16_t>(v));
    case ValKind::kU16:
      return Val::U16(Int<uint16_t>(v));
    case ValKind::kS32:
      return Val::S32(Int<int32_t>(v));
    case ValKind::kU32:
      return Val::U32(Int<uint32_t>(v));
    case ValKind::kS64:
      return Val::S64(Int<int64_t>(v));
    case ValKind::kU64:
      return Val::U64(Int<uint64_t>(v));
    case ValKind::kF32:
      return Val::F32(static_cast<float>(Float(v)));
    case ValKind::kF64:
      return Val::F64(Float(v));
    case ValKind::kChar:
      return Val::Char(DecodeUtf8(v.get<std::string>()).at(0));
    case ValKind::kString:
      return Val::String(v.get<std::string>());
    case ValKind::kList: {
      std::vector<Val> out;
      for (const auto& e : v) out.push_back(FromJson(e, t->elem));
      return Val::List(std::move(out));
    }
    case ValKind::kRecord: {
      std::vector<std::pair<std::string, Val>> out;
      for (const auto& f : t->fields) out.emplace_back(f.label, FromJson(v.at(f.label), f.type));
      return Val::Record(std::move(out));
    }
    case ValKind::kTuple: {
      std::vector<Val> out;
      for (size_t i = 0; i < t->fields.size(); ++i)
        out.push_back(FromJson(v.at(i), t->fields[i].type));
      return Val::Tuple(std::move(out));
    }
    case ValKind::kVariant:
      for (const auto& c : t->fields)
        if (c.label == v.at("tag").get<std::string>())
          return Val::Variant(
              c.label, c.type ? std::optional<Val>(FromJson(v.at("val"), c.type)) : std::nullopt);
      throw std::runtime_error("no case " + v.dump());
    case ValKind::kEnum:
      return Val::Enum(v.get<std::string>());
    case ValKind::kOption:
      return v.is_null() ? Val::Option(std::nullopt) : Val::Option(FromJson(v.at("some"), t->elem));
    case ValKind::kResult: {
      bool ok = v.contains("ok");
      const ValTypePtr& pt = ok ? t->ok : t->err;
      return Val::Result(
          ok, pt ? std::optional<Val>(FromJson(v.at(ok ? "ok" : "err"), pt)) : std::nullopt);
    }
    case ValKind::kFlags: {
      std::vector<std::string> set;
      for (const std::string& l : t->labels)
        for (const auto& e : v)
          if (e.get<std::string>() == l) set.push_back(l);
      return Val::Flags(std::move(set));
    }
    default:
      throw std::runtime_error(std::string("FromJson: ") + component::ValKindName(t->kind));
  }
}

std::string Quote(const std::string& utf8) {
  std::string out = "\"";
  auto unit = [&out](uint32_t u) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\u%04x", u);
    out += buf;
  };
  for (char32_t c : DecodeUtf8(utf8)) {
    if (c == '"')
      out += "\\\"";
    else if (c == '\\')
      out += "\\\\";
    else if (c < 0x20 || (c > 0x7e && c < 0x10000))
      unit(c);
    else if (c >= 0x10000)
      unit(0xd800 + ((c - 0x10000) >> 10)), unit(0xdc00 + ((c - 0x10000) & 0x3ff));
    else
      out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string Bytes(const std::vector<uint8_t>& b) {
  std::string s = "[";
  for (size_t i = 0; i < b.size(); ++i) s += (i ? "," : "") + std::to_string(b[i]);
  return s + "]";
}

std::string Canon(const Val& v) {
  auto join = [](const std::vector<Val>& es) {
    std::string s = "[";
    for (size_t i = 0; i < es.size(); ++i) s += (i ? "," : "") + Canon(es[i]);
    return s + "]";
  };
  switch (v.kind()) {
    case ValKind::kBool:
      return v.as_bool() ? "true" : "false";
    case ValKind::kS8:
    case ValKind::kS16:
    case ValKind::kS32:
    case ValKind::kS64:
      return std::to_string(v.as_s64());
    case ValKind::kU8:
    case ValKind::kU16:
    case ValKind::kU32:
    case ValKind::kU64:
      return std::to_string(v.as_u64());
    case ValKind::kF32:
      return std::isnan(v.as_f32()) ? "\"nan\"" : Hex(std::bit_cast<uint32_t>(v.as_f32()), 8);
    case ValKind::kF64:
      return std::isnan(v.as_f64()) ? "\"nan\"" : Hex(std::bit_cast<uint64_t>(v.as_f64()), 16);
    case ValKind::kChar:
      return Quote(EncodeUtf8({v.as_char()}));
    case ValKind::kString:
      return Quote(v.as_string());
    case ValKind::kList:
    case ValKind::kTuple:
      return join(v.elements());
    case ValKind::kRecord: {
      std::string s = "{";
      for (size_t i = 0; i < v.elements().size(); ++i)
        s += (i ? "," : "") + Quote(v.field_names()[i]) + ":" + Canon(v.elements()[i]);
      return s + "}";
    }
    case ValKind::kVariant:
      return "{\"tag\":" + Quote(v.label()) +
             (v.payload() ? ",\"val\":" + Canon(*v.payload()) : "") + "}";
    case ValKind::kEnum:
      return Quote(v.label());
    case ValKind::kOption:
      return v.is_some() ? "{\"some\":" + Canon(*v.payload()) + "}" : "null";
    case ValKind::kResult:
      return std::string("{\"") + (v.is_ok() ? "ok" : "err") +
             "\":" + (v.payload() ? Canon(*v.payload()) : "null") + "}";
    case ValKind::kFlags: {
      std::string s = "[";
      for (size_t i = 0; i < v.flags().size(); ++i) s += (i ? "," : "") + Quote(v.flags()[i]);
      return s + "]";
    }
    case ValKind::kOwn:
      return "\"own:" + std::to_string(v.handle()) + "\"";
    case ValKind::kBorrow:
      return "\"borrow:" + std::to_string(v.handle()) + "\"";
    default:
      return "\"?\"";
  }
}

nlohmann::json LoadCallTable() {
  std::ifstream in(LOKUST_ABI_CALLS_JSON);
  return nlohmann::json::parse(in);
}

// ---- the differential run ---------------------------------------------------------------

std::vector<std::string> RunDifferential(AbiInstance& inst, const nlohmann::json& table) {
  std::vector<std::string> lines;
  auto flush = [&] {
    for (const std::string& l : inst.host.log) lines.push_back("  host: " + l);
    inst.host.log.clear();
  };
  const auto& calls = table.at("calls");
  for (size_t i = 0; i < calls.size(); ++i) {
    const auto& c = calls[i];
    if (c.contains("engine_only")) continue;
    std::string fn = c.at("fn");
    std::string out = "trap";
    auto f = inst.instance->GetFunc(kGuestFns, fn);
    if (f) {
      std::vector<Val> args;
      for (size_t k = 0; k < (*f)->type->params.size(); ++k)
        args.push_back(FromJson(c.at("args").at(k), (*f)->type->params[k].type));
      auto r = (*f)->Call(args);
      if (r && r->size() == 1)
        out = Canon((*r)[0]);
      else if (!r)
        std::fprintf(stderr, "call %zu %s: %s\n", i, fn.c_str(), r.error().ToString().c_str());
    }
    lines.push_back(std::to_string(i) + " " + fn + " " + out);
    flush();
  }

  // The resource script: the same steps as differential.mjs's. A failing step prints its
  // error, which the comparison then shows.
  auto call = [&](const std::string& fn, std::vector<Val> args) -> Val {
    auto r = inst.Call(kGuestFns, fn, args);
    if (!r) {
      lines.push_back(fn + " failed: " + r.error().ToString());
      return Val::U32(0);
    }
    return r->empty() ? Val::U32(0) : (*r)[0];
  };
  uint32_t a = call("[constructor]acc", {Val::String("alpha"), Val::S64(10)}).handle();
  lines.push_back("acc.add " + Canon(call("[method]acc.add", {Val::Borrow(a), Val::S64(5)})));
  lines.push_back("acc.add " +
                  Canon(call("[method]acc.add", {Val::Borrow(a), Val::S64(INT64_MIN)})));
  lines.push_back("acc.value " + Canon(call("[method]acc.value", {Val::Borrow(a)})));
  lines.push_back("acc.label " + Canon(call("[method]acc.label", {Val::Borrow(a)})));
  uint32_t b = call("[constructor]acc", {Val::String("\xce\xb2"
                                                     "eta\xf0\x9f\x98\x80"),
                                         Val::S64(-3)})
                   .handle();
  lines.push_back("acc-sum " + Canon(call("acc-sum", {Val::Borrow(a), Val::Borrow(b)})));
  uint32_t m = call("[static]acc.merge", {Val::Own(a), Val::Borrow(b)}).handle();
  flush();
  lines.push_back("merged " + Canon(call("[method]acc.label", {Val::Borrow(m)})) + " " +
                  Canon(call("[method]acc.value", {Val::Borrow(m)})));
  uint32_t x = inst.host.NewBlob({1, 2, 3});
  lines.push_back("absorb " +
                  Canon(call("[method]acc.absorb-blob", {Val::Borrow(m), Val::Borrow(x)})));
  flush();
  Val rt = call("blob-roundtrip", {Val::Bytes(std::vector<uint8_t>{9, 8, 7})});
  lines.push_back("blob-roundtrip " + Canon(rt.elements().at(0)) + " " +
                  Bytes(rt.elements().at(1).as_bytes()) + " " +
                  Bytes(rt.elements().at(2).as_bytes()));
  flush();
  uint32_t mb = call("make-blob", {Val::Bytes(std::vector<uint8_t>{5, 6})}).handle();
  lines.push_back("make-blob " + Bytes(inst.host.blobs[mb]));
  lines.push_back("blob-size " + Canon(call("blob-size", {Val::Borrow(mb)})));
  uint32_t gb = call("give-back", {Val::Own(mb)}).handle();
  lines.push_back(std::string("give-back same=") + (gb == mb ? "true" : "false"));
  lines.push_back("take-blob " + Bytes(call("take-blob", {Val::Own(gb)}).as_bytes()));
  flush();
  uint32_t kept = inst.host.NewBlob({1});
  Val bl =
      call("blobs", {Val::Option(Val::Own(kept)), Val::List({Val::Own(inst.host.NewBlob({2, 3})),
                                                             Val::Own(inst.host.NewBlob({4}))})});
  if (bl.kind() == component::ValKind::kTuple && bl.elements()[0].is_some()) {
    uint32_t back = bl.elements()[0].payload()->handle();
    lines.push_back("blobs " + Bytes(inst.host.blobs[back]) +
                    " same=" + (back == kept ? "true" : "false") + " " + Canon(bl.elements()[1]));
    inst.host.blobs.erase(back);
  } else {
    lines.push_back("blobs failed: " + Canon(bl));
  }
  flush();
  Val none = call("blobs", {Val::Option(std::nullopt), Val::List({})});
  lines.push_back(std::string("blobs ") + (none.elements().at(0).is_some() ? "some" : "none") +
                  " " + Canon(none.elements().at(1)));
  for (uint32_t rep : {m, b}) {
    auto d = inst.instance->DropResource(kGuestFns, "acc", rep);
    if (!d) lines.push_back("drop failed: " + d.error().ToString());
    flush();
  }
  inst.host.blobs.erase(x);  // the host's own blob: never lent as an own
  return lines;
}

std::vector<std::string> RunStringCalls(AbiInstance& inst, const nlohmann::json& table) {
  std::vector<std::string> lines;
  const auto& calls = table.at("string_calls");
  for (size_t i = 0; i < calls.size(); ++i) {
    std::string fn = calls[i].at("fn");
    std::string out = "trap";
    auto f = inst.instance->GetFunc(kStrGuest, fn);
    if (f) {
      std::vector<Val> args;
      for (size_t k = 0; k < (*f)->type->params.size(); ++k)
        args.push_back(FromJson(calls[i].at("args").at(k), (*f)->type->params[k].type));
      auto r = (*f)->Call(args);
      if (r && r->size() == 1)
        out = Canon((*r)[0]);
      else if (!r)
        std::fprintf(stderr, "call %zu %s: %s\n", i, fn.c_str(), r.error().ToString().c_str());
    }
    lines.push_back(std::to_string(i) + " " + fn + " " + out);
  }
  return lines;
}

}  // namespace lokust::abitest
