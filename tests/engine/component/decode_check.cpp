// component-decode-check: runs the decode/validate part of the Component Model reference tests
// over the manifest tools/component-tests/convert.mjs writes. Every valid component (top-level
// `component`, `component definition`, and the components of assert_trap/assert_unlinkable)
// must decode and validate; every assert_invalid/assert_malformed component must be rejected.
// Prints one line per .wast file and `N passed, M failed`.
//
//   component-decode-check [-v] [--no-core] [--known-failures FILE] [MANIFEST_DIR]
//
// When built with engine/core, embedded core modules are also validated by it (function
// bodies included); --no-core checks only what engine/component checks itself.
//
// MANIFEST_DIR defaults to build/component-tests. A known-failures file lists
// `<wast file>:<line>` entries (with a reason after whitespace; `#` comments) that are expected
// to fail for now, e.g. because they need the core engine's validator; they are reported
// apart, and the exit status is 0 when every other check passes.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/component/printer.h"
#if LOKUST_HAVE_ENGINE_CORE
#include "engine/core/module.h"
#endif
#include "engine/component/validator.h"

namespace fs = std::filesystem;
using lokust::component::DecodeAndValidate;
using lokust::component::ValidateOptions;

namespace {

bool ReadFile(const fs::path& p, std::vector<uint8_t>& out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool verbose = false;
  bool use_core = true;
  fs::path dir = "build/component-tests";
  std::set<std::string> known;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-v" || a == "--verbose") {
      verbose = true;
    } else if (a == "--no-core") {
      use_core = false;
    } else if (a == "--known-failures" && i + 1 < argc) {
      std::ifstream kf(argv[++i]);
      std::string line;
      while (std::getline(kf, line)) {
        std::istringstream ls(line);
        std::string key;
        if (ls >> key && key[0] != '#') known.insert(key);
      }
    } else {
      dir = a;
    }
  }
  int total_known = 0;
  ValidateOptions options;
#if LOKUST_HAVE_ENGINE_CORE
  // Core modules are validated by engine/core (function bodies included).
  if (use_core)
    options.validate_core_module =
        [](std::span<const uint8_t> m) -> lokust::component::Result<void> {
      auto r = lokust::core::Module::Compile(m, {.multi_memory = true});
      if (!r.ok()) return lokust::component::Invalid(r.error().message);
      return {};
    };
#endif
  std::ifstream mf(dir / "manifest.json");
  if (!mf) {
    std::fprintf(stderr, "cannot read %s; run `node tools/component-tests/convert.mjs` first\n",
                 (dir / "manifest.json").c_str());
    return 2;
  }
  nlohmann::json manifest = nlohmann::json::parse(mf, nullptr, false);
  if (manifest.is_discarded()) {
    std::fprintf(stderr, "malformed manifest.json\n");
    return 2;
  }
  int total_pass = 0, total_fail = 0, total_skip = 0, msg_match = 0, msg_total = 0;
  for (auto& file : manifest["files"]) {
    std::string json_name = file["json"];
    std::ifstream jf(dir / json_name);
    nlohmann::json m = nlohmann::json::parse(jf, nullptr, false);
    if (m.is_discarded()) {
      std::printf("%s: malformed json\n", json_name.c_str());
      ++total_fail;
      continue;
    }
    fs::path base = (dir / json_name).parent_path();
    int pass = 0, fail = 0, skip = 0;
    for (auto& cmd : m["commands"]) {
      std::string type = cmd["type"];
      bool expect_valid;
      if (type == "component" || type == "component-definition" || type == "assert_trap" ||
          type == "assert_unlinkable" || type == "assert_uninstantiable") {
        expect_valid = true;
      } else if (type == "assert_invalid" || type == "assert_malformed") {
        expect_valid = false;
      } else {
        continue;
      }
      if (!cmd.contains("filename")) {
        if (cmd.contains("convert_error")) ++skip;  // rejected by the text parser already
        continue;
      }
      std::vector<uint8_t> bytes;
      if (!ReadFile(base / cmd["filename"].get<std::string>(), bytes)) {
        ++fail;
        std::printf("  %s:%d: cannot read %s\n", json_name.c_str(), cmd["line"].get<int>(),
                    cmd["filename"].get<std::string>().c_str());
        continue;
      }
      auto r = DecodeAndValidate(bytes, options);
      bool ok = expect_valid ? r.ok() : !r.ok();
      if (r.ok()) (void)lokust::component::PrintComponentWit(**r);  // the printer must cope too
      if (ok) {
        ++pass;
        if (!expect_valid) {
          std::string want = cmd.value("text", "");
          ++msg_total;
          if (r.error().message.find(want) != std::string::npos) {
            ++msg_match;
          } else if (verbose) {
            std::printf("  %s:%d: message differs: expected \"%s\", got \"%s\"\n",
                        json_name.c_str(), cmd["line"].get<int>(), want.c_str(),
                        r.error().message.c_str());
          }
        }
      } else if (known.count(file["source_filename"].get<std::string>() + ":" +
                             std::to_string(cmd["line"].get<int>()))) {
        ++total_known;
        if (verbose)
          std::printf("  %s:%d: known failure\n", json_name.c_str(), cmd["line"].get<int>());
      } else {
        ++fail;
        if (verbose) {
          if (expect_valid)
            std::printf("  %s:%d: %s rejected: %s\n", json_name.c_str(), cmd["line"].get<int>(),
                        type.c_str(), r.error().ToString().c_str());
          else
            std::printf("  %s:%d: %s accepted (expected \"%s\")\n", json_name.c_str(),
                        cmd["line"].get<int>(), type.c_str(), cmd.value("text", "").c_str());
        }
      }
    }
    std::printf("%s: %d passed, %d failed%s%s\n",
                file["source_filename"].get<std::string>().c_str(), pass, fail,
                skip ? (", " + std::to_string(skip) + " skipped").c_str() : "",
                file.value("nyi", false) ? " (nyi)" : "");
    total_pass += pass;
    total_fail += fail;
    total_skip += skip;
  }
  std::printf("rejections with the expected message text: %d of %d\n", msg_match, msg_total);
  if (total_skip) std::printf("skipped (text the converter could not parse): %d\n", total_skip);
  if (total_known) std::printf("known failures (see --known-failures): %d\n", total_known);
  std::printf("%d passed, %d failed\n", total_pass, total_fail);
  return total_fail == 0 ? 0 : 1;
}
