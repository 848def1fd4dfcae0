// The C++ side of the ABI test world (wit/abi-test.wit) on our engine: host-fns implemented on
// component Vals (the same semantics as differential.mjs's JS host, README.md), the
// conversion between the call table's JSON (calls.json) and Vals, and the canonical one-line
// JSON both sides print for the differential test.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/component/instance.h"
#include "engine/component/linker.h"

namespace lokust::abitest {

using component::Val;
using component::ValTypePtr;

inline constexpr const char* kHostFns = "lokust:abi-test/host-fns";
inline constexpr const char* kGuestFns = "lokust:abi-test/guest-fns";
inline constexpr const char* kFaults = "lokust:abi-test/faults";
inline constexpr const char* kStrGuest = "lokust:abi-test/str-guest";

// What the host observes: blobs by rep, drops and consumptions in order.
struct HostState {
  std::map<uint32_t, std::vector<uint8_t>> blobs;
  uint32_t next_rep = 100;
  std::vector<std::string> log;  // "blob-dropped [..]", "blob-consumed [..]", "acc-dropped \"..\""
  int host_calls = 0;            // calls into host-fns
  // Tests replace a host function here (by its import name) to make it misbehave.
  std::map<std::string, component::HostFunc> overrides;

  uint32_t NewBlob(std::vector<uint8_t> bytes);
};

// Defines every host-fns import (and the empty types instance) and the strings world's
// str-host in `linker`, over `state`.
void DefineHostFns(component::Linker& linker, HostState& state);

// The host functions themselves, on Vals (also the building blocks of the test's model).
namespace host {
Val Scalars(const std::vector<Val>& a);  // the 12 arguments -> the scalar tuple
std::string ReverseString(const std::string& utf8);
Val TransformPerson(const Val& p);
Val SumPoints(const Val& list);
Val NextShape(const Val& s);
std::string NextColor(const std::string& c);
Val NextNum(const Val& n);
Val MaybeDouble(const Val& opt);
Val Check(int32_t n);
Val Regroup(const Val& t, const Val& r);
Val FlipFlags(const Val& flags, const std::vector<std::string>& all);
uint64_t Many(const std::vector<Val>& a);
}  // namespace host

// A loaded and instantiated ABI test component with its host.
struct AbiInstance {
  std::shared_ptr<const component::Component> component;
  component::Linker linker;
  HostState host;
  core::Store store;
  std::unique_ptr<component::Instance> instance;

  // Empty on success, or what failed.
  std::string Load(const std::string& path);
  component::Result<std::vector<Val>> Call(const char* iface, const std::string& fn,
                                           const std::vector<Val>& args);
};

// calls.json values -> Vals of type `t`; Vals -> canonical JSON (canonical.mjs's format).
Val FromJson(const nlohmann::json& v, const ValTypePtr& t);
std::string Canon(const Val& v);
std::string Bytes(const std::vector<uint8_t>& b);  // "[1,2,3]"
std::string Quote(const std::string& utf8);

nlohmann::json LoadCallTable();  // tests/abi-components/calls.json

// The lines differential.mjs prints for jco: the call table (calls marked engine-only left
// out) and the resource script, each followed by the host's log lines.
std::vector<std::string> RunDifferential(AbiInstance& inst, const nlohmann::json& table);
// The same for the strings world: calls.json's string_calls.
std::vector<std::string> RunStringCalls(AbiInstance& inst, const nlohmann::json& table);

}  // namespace lokust::abitest
