// Prints the ABI test component's differential lines on our engine (abi_host.h's
// RunDifferential): differential.mjs runs this and compares with jco's lines.
//
// usage: abi_engine_dump COMPONENT.wasm [--world strings]
#include <cstdio>
#include <string>

#include "abi_host.h"

int main(int argc, char** argv) {
  bool strings =
      argc == 4 && std::string(argv[2]) == "--world" && std::string(argv[3]) == "strings";
  if (argc != 2 && !strings) {
    std::fprintf(stderr, "usage: abi_engine_dump COMPONENT.wasm [--world strings]\n");
    return 2;
  }
  lokust::abitest::AbiInstance inst;
  if (std::string err = inst.Load(argv[1]); !err.empty()) {
    std::fprintf(stderr, "abi_engine_dump: %s\n", err.c_str());
    return 1;
  }
  auto table = lokust::abitest::LoadCallTable();
  for (const std::string& line :
       strings ? RunStringCalls(inst, table) : RunDifferential(inst, table))
    std::printf("%s\n", line.c_str());
  return 0;
}
