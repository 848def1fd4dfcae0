// MLP models on every backend: files written here (test_support.h's own safetensors writer),
// results compared with an independent f64 forward pass; malformed models, bad names (the data
// directory is a sandbox) and bad inputs are errors that say what is wrong.
#include "host/gpu/mlp.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>

#include "test_support.h"

namespace lokust::host::gpu {
namespace {

using test::f32_entry;
using test::safetensors_bytes;
using test::StEntry;
using test::TempDir;

struct RefLayer {
  uint32_t in, out;
  std::vector<float> w, b;  // w [out, in]
};

std::vector<RefLayer> random_layers(const std::vector<uint32_t>& widths, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<RefLayer> layers;
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    RefLayer l{widths[i], widths[i + 1], {}, {}};
    for (uint32_t k = 0; k < l.in * l.out; ++k) l.w.push_back(dist(rng) / std::sqrt(float(l.in)));
    for (uint32_t k = 0; k < l.out; ++k) l.b.push_back(dist(rng) * 0.1f);
    layers.push_back(std::move(l));
  }
  return layers;
}

std::vector<uint8_t> model_file(const std::vector<RefLayer>& layers, const std::string& act = "",
                                bool with_bias = true) {
  std::vector<StEntry> entries;
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    entries.push_back(f32_entry(p + "weight", {layers[i].out, layers[i].in}, layers[i].w));
    if (with_bias) entries.push_back(f32_entry(p + "bias", {layers[i].out}, layers[i].b));
  }
  return safetensors_bytes(entries,
                           act.empty() ? "" : "\"__metadata__\":{\"activation\":\"" + act + "\"}");
}

// The forward pass in f64, written from the convention in host/gpu/README.md.
std::vector<double> reference(const std::vector<RefLayer>& layers, const std::string& act,
                              uint32_t batch, const std::vector<float>& x, bool with_bias = true) {
  std::vector<double> cur(x.begin(), x.end());
  for (size_t li = 0; li < layers.size(); ++li) {
    const RefLayer& l = layers[li];
    std::vector<double> next(size_t{batch} * l.out);
    for (uint32_t b = 0; b < batch; ++b) {
      for (uint32_t o = 0; o < l.out; ++o) {
        double s = with_bias ? l.b[o] : 0.0;
        for (uint32_t i = 0; i < l.in; ++i)
          s += double{l.w[size_t{o} * l.in + i]} * cur[size_t{b} * l.in + i];
        if (li + 1 < layers.size()) {
          if (act == "gelu") {
            s = 0.5 * s * (1.0 + std::erf(s / std::sqrt(2.0)));
          } else if (act == "tanh") {
            s = std::tanh(s);
          } else {
            s = s > 0 ? s : 0;
          }
        }
        next[size_t{b} * l.out + o] = s;
      }
    }
    cur = std::move(next);
  }
  return cur;
}

std::vector<float> random_input(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = dist(rng);
  return x;
}

void expect_close(const std::vector<float>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-4 * (1.0 + std::fabs(want[i]))) << "element " << i;
  }
}

class Mlp : public testing::TestWithParam<std::string> {
 protected:
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Gpu, Mlp, testing::ValuesIn(test::backend_names()),
                         test::backend_param_name);

TEST_P(Mlp, MatchesIndependentForwardPass) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), dir_.path());
  struct Case {
    std::string name, act;
    std::vector<uint32_t> widths;
    uint32_t batch;
  };
  const Case cases[] = {{"tiny", "", {5, 7, 3}, 6},
                        {"wide", "gelu", {67, 130, 9}, 33},
                        {"deep", "tanh", {16, 16, 16, 16, 4}, 5},
                        {"single", "relu", {8, 1}, 1},
                        {"big", "relu", {300, 257, 64}, 70}};
  uint32_t seed = 1;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto layers = random_layers(c.widths, seed++);
    test::write_file(dir_.model_path(c.name), model_file(layers, c.act));
    const auto x = random_input(size_t{c.batch} * c.widths.front(), seed++);
    const auto r = backend->infer("mlp/" + c.name, Tensor{{c.batch, c.widths.front()}, x});
    ASSERT_TRUE(r.is_ok()) << r.error();
    EXPECT_EQ(r.value().shape, (std::vector<uint32_t>{c.batch, c.widths.back()}));
    expect_close(r.value().data, reference(layers, c.act, c.batch, x));
  }
}

TEST_P(Mlp, BiasIsOptionalAndHalfPrecisionWorks) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), dir_.path());
  const auto layers = random_layers({4, 6, 2}, 77);
  test::write_file(dir_.model_path("nobias"), model_file(layers, "", false));
  const auto x = random_input(3 * 4, 78);
  const auto r = backend->infer("mlp/nobias", Tensor{{3, 4}, x});
  ASSERT_TRUE(r.is_ok()) << r.error();
  expect_close(r.value().data, reference(layers, "", 3, x, false));

  // BF16: weight [[1, -2], [0.5, 3]] and bias [1, -1] (all exact in bf16).
  const auto bf16 = [](std::vector<uint16_t> v) {
    std::vector<uint8_t> out;
    for (uint16_t b : v) {
      out.push_back(static_cast<uint8_t>(b));
      out.push_back(static_cast<uint8_t>(b >> 8));
    }
    return out;
  };
  test::write_file(
      dir_.model_path("bf"),
      safetensors_bytes(
          {StEntry{"layers.0.weight", "BF16", {2, 2}, bf16({0x3F80, 0xC000, 0x3F00, 0x4040})},
           StEntry{"layers.0.bias", "BF16", {2}, bf16({0x3F80, 0xBF80})}}));
  const auto b = backend->infer("mlp/bf", Tensor{{1, 2}, {2.0f, 1.0f}});
  ASSERT_TRUE(b.is_ok()) << b.error();
  EXPECT_EQ(b.value().data, (std::vector<float>{1.0f, 3.0f}));  // [2-2+1, 1+3-1]
}

TEST_P(Mlp, EmptyBatchAndCache) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), dir_.path());
  const auto layers = random_layers({3, 2}, 5);
  test::write_file(dir_.model_path("m"), model_file(layers));
  auto r = backend->infer("mlp/m", Tensor{{0, 3}, {}});
  ASSERT_TRUE(r.is_ok()) << r.error();
  EXPECT_EQ(r.value().shape, (std::vector<uint32_t>{0, 2}));
  EXPECT_TRUE(r.value().data.empty());
  // Loaded once: removing the file afterwards changes nothing.
  std::filesystem::remove(dir_.model_path("m"));
  r = backend->infer("mlp/m", Tensor{{1, 3}, {1, 2, 3}});
  ASSERT_TRUE(r.is_ok()) << r.error();
  expect_close(r.value().data, reference(layers, "", 1, {1, 2, 3}));
}

TEST_P(Mlp, ConcurrentCallsShareOneModel) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), dir_.path());
  const auto layers = random_layers({12, 20, 3}, 31);
  test::write_file(dir_.model_path("shared"), model_file(layers, "tanh"));
  const auto x = random_input(4 * 12, 32);
  const auto want = reference(layers, "tanh", 4, x);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const auto r = backend->infer(i % 2 ? "mlp/shared" : std::string(kEmbedModelId),
                                      i % 2 ? Tensor{{4, 12}, x} : Tensor{{1, 2}, {3, 4}});
        if (!r.is_ok()) ++failures;
        if (r.is_ok() && i % 2) {
          for (size_t k = 0; k < want.size(); ++k) {
            if (std::fabs(r.value().data[k] - want[k]) > 1e-4) ++failures;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_P(Mlp, BadInputsAreErrors) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), dir_.path());
  test::write_file(dir_.model_path("m"), model_file(random_layers({3, 4, 2}, 9)));
  const auto expect_err = [&](const Tensor& t, std::string_view needle) {
    const auto r = backend->infer("mlp/m", t);
    ASSERT_FALSE(r.is_ok()) << "expected: " << needle;
    EXPECT_TRUE(r.error().starts_with("mlp/m: ")) << r.error();
    EXPECT_NE(r.error().find(needle), std::string::npos) << r.error();
  };
  expect_err(Tensor{{3}, {1, 2, 3}}, "input shape must have 2 dimensions [batch, 3], got 1");
  expect_err(Tensor{{1, 4}, {1, 2, 3, 4}}, "input shape [1, 4]: the model takes 3 features");
  expect_err(Tensor{{2, 3}, {1, 2, 3}}, "input data has 3 elements, shape [2, 3] needs 6");
  expect_err(Tensor{{4000000000u, 3}, {}}, "batch 4000000000 is too large");
}

TEST_P(Mlp, BadModelFilesAreErrors) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), dir_.path());
  const auto expect_err = [&](const std::string& name, const std::vector<uint8_t>& file,
                              std::string_view needle) {
    test::write_file(dir_.model_path(name), file);
    const auto r = backend->infer("mlp/" + name, Tensor{{1, 2}, {1, 2}});
    ASSERT_FALSE(r.is_ok()) << "expected: " << needle;
    EXPECT_TRUE(r.error().starts_with("mlp/" + name + ": ")) << r.error();
    EXPECT_NE(r.error().find(needle), std::string::npos) << r.error();
  };
  const auto w22 = f32_entry("layers.0.weight", {2, 2}, {1, 0, 0, 1});
  expect_err("truncated", {3, 0, 0, 0, 0, 0, 0, 0, '{'},
             "models/truncated.safetensors in the data directory: header length 3 exceeds");
  expect_err("json", test::raw_safetensors("{oops", 0), "header is not valid JSON");
  expect_err("oob",
             test::raw_safetensors("{\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],"
                                   "\"data_offsets\":[0,16]}}",
                                   8),
             "outside the data buffer of 8 bytes");
  expect_err(
      "dtype",
      safetensors_bytes({StEntry{"layers.0.weight", "I32", {2, 2}, std::vector<uint8_t>(16)}}),
      "dtype I32, only F32, F16 and BF16 are supported");
  expect_err("empty", safetensors_bytes({}), "no layers");
  expect_err("stray", safetensors_bytes({w22, f32_entry("head.weight", {2}, {1, 1})}),
             "unexpected tensor \"head.weight\"");
  expect_err("gap", safetensors_bytes({w22, f32_entry("layers.2.weight", {2, 2}, {1, 0, 0, 1})}),
             "missing tensor layers.1.weight");
  expect_err("biasonly", safetensors_bytes({f32_entry("layers.0.bias", {2}, {1, 1})}),
             "missing tensor layers.0.weight");
  expect_err("rank", safetensors_bytes({f32_entry("layers.0.weight", {4}, {1, 0, 0, 1})}),
             "layers.0.weight has shape [4], expected [out, in]");
  expect_err("chain", safetensors_bytes({w22, f32_entry("layers.1.weight", {1, 3}, {1, 1, 1})}),
             "layers.1.weight has 3 inputs but layer 0 has 2 outputs");
  expect_err("bias", safetensors_bytes({w22, f32_entry("layers.0.bias", {3}, {1, 1, 1})}),
             "layers.0.bias has shape [3], expected [2]");
  expect_err("act", safetensors_bytes({w22}, "\"__metadata__\":{\"activation\":\"swish\"}"),
             "unknown activation \"swish\"");
}

TEST_P(Mlp, NamesAreSandboxed) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), dir_.path());
  // A valid model just outside models/: no name may reach it.
  test::write_file(dir_.path() / "secret.safetensors",
                   safetensors_bytes({f32_entry("layers.0.weight", {1, 1}, {1})}));
  for (const std::string& name : std::vector<std::string>{
           "../secret", "..", ".", "", "a/b", "a\\b", "/etc/passwd", "x..y", ".hidden", "a b",
           "models/../../secret", std::string("a\0b", 3), std::string(129, 'a'), "caf\xC3\xA9"}) {
    const auto r = backend->infer("mlp/" + name, Tensor{{1, 1}, {1}});
    ASSERT_FALSE(r.is_ok()) << "name accepted: " << name;
    EXPECT_NE(r.error().find("invalid model name"), std::string::npos) << r.error();
  }
  const auto missing = backend->infer("mlp/nothere", Tensor{{1, 1}, {1}});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.error(),
            "mlp/nothere: models/nothere.safetensors in the data directory: no such file");
  EXPECT_EQ(missing.error().find(dir_.path().string()), std::string::npos);
  EXPECT_TRUE(mlp::valid_name("tiny-v1.2_final"));
}

TEST(MlpNoDataDir, SaysSo) {
  auto backend = make_gpu_backend(BackendKind::kCpu, "");
  ASSERT_TRUE(backend.is_ok());
  const auto r = backend.value()->infer("mlp/x", Tensor{{1, 1}, {1}});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error(), "mlp/x: no data directory is configured for MLP models");
}

}  // namespace
}  // namespace lokust::host::gpu
