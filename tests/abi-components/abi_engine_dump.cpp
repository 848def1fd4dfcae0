// Prints the ABI test component's differential lines on our engine (abi_host.h's
// RunDifferential): differential.mjs runs this and compares with jco's lines.
//
// usage: abi_engine_dump COMPONENT.wasm
#include <cstdio>

#include "abi_host.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: abi_engine_dump COMPONENT.wasm\n");
    return 2;
  }
  lokust::abitest::AbiInstance inst;
  if (std::string err = inst.Load(argv[1]); !err.empty()) {
    std::fprintf(stderr, "abi_engine_dump: %s\n", err.c_str());
    return 1;
  }
  for (const std::string& line : RunDifferential(inst, lokust::abitest::LoadCallTable()))
    std::printf("%s\n", line.c_str());
  return 0;
}
