#include "host/gpu/mlp.h"

#include <charconv>
#include <cmath>
#include <map>

namespace lokust::host::gpu::mlp {

namespace {

template <class T>
Result<T> fail(std::string_view id, const std::string& what) {
  std::string m(id);
  m += ": ";
  m += what;
  return Result<T>::err(std::move(m));
}

std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// "layers.<i>.weight" / "layers.<i>.bias": the index and whether it is the weight.
bool parse_tensor_name(std::string_view name, size_t* index, bool* is_weight) {
  constexpr std::string_view kPrefix = "layers.";
  if (!name.starts_with(kPrefix)) return false;
  name.remove_prefix(kPrefix.size());
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 4) return false;
  const std::string_view digits = name.substr(0, dot);
  if (digits.size() > 1 && digits[0] == '0') return false;  // one spelling per index
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *index);
  if (ec != std::errc() || end != digits.data() + digits.size()) return false;
  const std::string_view field = name.substr(dot + 1);
  if (field == "weight") {
    *is_weight = true;
  } else if (field == "bias") {
    *is_weight = false;
  } else {
    return false;
  }
  return true;
}

// R batch rows against every output of one layer: y[r][o] = dot(x[r], w[o]) + b[o], then the
// activation when `activate_out`. Eight explicit lanes per dot product so the compiler can
// vectorise without reassociating anything; the order of every sum is fixed.
template <int R>
[[gnu::always_inline]] inline void dense_rows(const Layer& layer, const float* x, float* y,
                                              bool activate_out, Activation act) {
  const uint32_t in = layer.in;
  const uint32_t main = in & ~7u;
  for (uint32_t o = 0; o < layer.out; ++o) {
    const float* w = layer.weight.data() + size_t{o} * in;
    float acc[R][8] = {};
    for (uint32_t i = 0; i < main; i += 8) {
      for (int r = 0; r < R; ++r) {
        const float* xr = x + size_t{static_cast<uint32_t>(r)} * in + i;
        for (int l = 0; l < 8; ++l) acc[r][l] += xr[l] * w[i + l];
      }
    }
    for (int r = 0; r < R; ++r) {
      const float* xr = x + size_t{static_cast<uint32_t>(r)} * in;
      float s = ((acc[r][0] + acc[r][1]) + (acc[r][2] + acc[r][3])) +
                ((acc[r][4] + acc[r][5]) + (acc[r][6] + acc[r][7]));
      for (uint32_t i = main; i < in; ++i) s += xr[i] * w[i];
      s += layer.bias[o];
      y[size_t{static_cast<uint32_t>(r)} * layer.out + o] = activate_out ? activate(act, s) : s;
    }
  }
}

// One layer over the whole batch. On x86-64 GCC also builds an AVX2 clone, picked at run time
// where the CPU has it; both clones do the same operations in the same order (no FMA).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void dense_layer(const Layer& layer, const float* x, float* y, uint32_t batch, bool activate_out,
                 Activation act) {
  uint32_t b = 0;
  for (; b + 4 <= batch; b += 4) {
    dense_rows<4>(layer, x + size_t{b} * layer.in, y + size_t{b} * layer.out, activate_out, act);
  }
  for (; b < batch; ++b) {
    dense_rows<1>(layer, x + size_t{b} * layer.in, y + size_t{b} * layer.out, activate_out, act);
  }
}

}  // namespace

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes || name[0] == '.') return false;
  if (name.find("..") != std::string_view::npos) return false;
  for (const char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string_view activation_name(Activation a) {
  switch (a) {
    case Activation::kRelu:
      return "relu";
    case Activation::kGelu:
      return "gelu";
    case Activation::kTanh:
      return "tanh";
  }
  return "relu";
}

float activate(Activation a, float x) {
  switch (a) {
    case Activation::kRelu:
      return x < 0.0f ? 0.0f : x;  // NaN stays NaN
    case Activation::kGelu:
      return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case Activation::kTanh:
      return std::tanh(x);
  }
  return x;
}

Result<Model> from_safetensors(const safetensors::File& file, std::string_view id) {
  Model model;
  model.id = std::string(id);
  const auto convention = std::string(
      " (an MLP file holds layers.<i>.weight [out, in] and layers.<i>.bias [out] "
      "for i = 0..k-1)");
  std::map<size_t, std::pair<std::string, std::string>> names;  // index -> weight, bias
  for (const auto& [name, info] : file.tensors) {
    size_t index = 0;
    bool is_weight = false;
    if (!parse_tensor_name(name, &index, &is_weight) || index >= kMaxLayers) {
      return fail<Model>(id, "unexpected tensor \"" + name + "\"" + convention);
    }
    (is_weight ? names[index].first : names[index].second) = name;
  }
  if (names.empty()) return fail<Model>(id, "no layers" + convention);
  const size_t count = names.rbegin()->first + 1;
  for (size_t i = 0; i < count; ++i) {
    const auto it = names.find(i);
    if (it == names.end() || it->second.first.empty()) {
      return fail<Model>(id, "missing tensor layers." + std::to_string(i) + ".weight" + convention);
    }
  }

  for (size_t i = 0; i < count; ++i) {
    const auto& [weight_name, bias_name] = names[i];
    const safetensors::TensorInfo& w = file.tensors.at(weight_name);
    if (w.shape.size() != 2 || w.shape[0] == 0 || w.shape[1] == 0 || w.shape[0] > kMaxWidth ||
        w.shape[1] > kMaxWidth) {
      return fail<Model>(id, weight_name + " has shape " + shape_text(w.shape) +
                                 ", expected [out, in] with both in 1.." +
                                 std::to_string(kMaxWidth));
    }
    Layer layer;
    layer.out = static_cast<uint32_t>(w.shape[0]);
    layer.in = static_cast<uint32_t>(w.shape[1]);
    if (i > 0 && layer.in != model.layers.back().out) {
      return fail<Model>(id, weight_name + " has " + std::to_string(layer.in) +
                                 " inputs but layer " + std::to_string(i - 1) + " has " +
                                 std::to_string(model.layers.back().out) + " outputs");
    }
    auto weight = file.to_f32(weight_name);
    if (!weight) return fail<Model>(id, weight.error());
    layer.weight = std::move(weight).value();
    if (bias_name.empty()) {
      layer.bias.assign(layer.out, 0.0f);
    } else {
      const safetensors::TensorInfo& b = file.tensors.at(bias_name);
      if (b.shape.size() != 1 || b.shape[0] != layer.out) {
        return fail<Model>(id, bias_name + " has shape " + shape_text(b.shape) + ", expected [" +
                                   std::to_string(layer.out) + "]");
      }
      auto bias = file.to_f32(bias_name);
      if (!bias) return fail<Model>(id, bias.error());
      layer.bias = std::move(bias).value();
    }
    model.layers.push_back(std::move(layer));
  }

  const auto act = file.metadata.find("activation");
  if (act != file.metadata.end()) {
    if (act->second == "relu") {
      model.activation = Activation::kRelu;
    } else if (act->second == "gelu") {
      model.activation = Activation::kGelu;
    } else if (act->second == "tanh") {
      model.activation = Activation::kTanh;
    } else {
      return fail<Model>(
          id, "unknown activation \"" + act->second + "\" in __metadata__ (relu, gelu or tanh)");
    }
  }
  return Result<Model>::ok(std::move(model));
}

Result<Model> load(const std::filesystem::path& data_dir, std::string_view name) {
  const std::string id = std::string(kMlpModelPrefix) + std::string(name);
  if (!valid_name(name)) {
    return fail<Model>(id,
                       "invalid model name: use 1 to 128 of A-Z a-z 0-9 . _ -, no \"..\", not "
                       "starting with '.'");
  }
  if (data_dir.empty()) return fail<Model>(id, "no data directory is configured for MLP models");
  const std::string relative = "models/" + std::string(name) + ".safetensors";
  auto file = safetensors::read(data_dir / "models" / (std::string(name) + ".safetensors"),
                                relative + " in the data directory");
  if (!file) return fail<Model>(id, file.error());
  return from_safetensors(file.value(), id);
}

Result<uint32_t> check_input(const Model& model, const Tensor& x) {
  if (x.shape.size() != 2) {
    return fail<uint32_t>(model.id, "input shape must have 2 dimensions [batch, " +
                                        std::to_string(model.in_features()) + "], got " +
                                        std::to_string(x.shape.size()));
  }
  const uint64_t batch = x.shape[0];
  if (x.shape[1] != model.in_features()) {
    return fail<uint32_t>(model.id, "input shape [" + std::to_string(batch) + ", " +
                                        std::to_string(x.shape[1]) + "]: the model takes " +
                                        std::to_string(model.in_features()) + " features");
  }
  uint64_t widest = model.in_features();
  for (const Layer& l : model.layers) widest = std::max<uint64_t>(widest, l.out);
  if (batch * widest > kMaxActivations) {
    return fail<uint32_t>(model.id, "batch " + std::to_string(batch) + " is too large: batch * " +
                                        std::to_string(widest) + " (the widest layer) exceeds " +
                                        std::to_string(kMaxActivations) + " values");
  }
  if (x.data.size() != batch * model.in_features()) {
    return fail<uint32_t>(model.id, "input data has " + std::to_string(x.data.size()) +
                                        " elements, shape [" + std::to_string(batch) + ", " +
                                        std::to_string(model.in_features()) + "] needs " +
                                        std::to_string(batch * model.in_features()));
  }
  return Result<uint32_t>::ok(static_cast<uint32_t>(batch));
}

Result<Tensor> run_cpu(const Model& model, const Tensor& x) {
  auto checked = check_input(model, x);
  if (!checked) return Result<Tensor>::err(checked.error());
  const uint32_t batch = checked.value();
  std::vector<float> cur = x.data;
  std::vector<float> next;
  for (size_t li = 0; li < model.layers.size(); ++li) {
    const Layer& layer = model.layers[li];
    const bool act = li + 1 < model.layers.size();
    next.assign(size_t{batch} * layer.out, 0.0f);
    dense_layer(layer, cur.data(), next.data(), batch, act, model.activation);
    cur.swap(next);
  }
  Tensor out;
  out.shape = {batch, model.out_features()};
  out.data = std::move(cur);
  return Result<Tensor>::ok(std::move(out));
}

}  // namespace lokust::host::gpu::mlp
