// Instantiation of the session VM guest component (build/guest/session_guest.wasm) on
// engine/core: host imports through the component Linker, exported functions through
// canon lift, results checked end to end.
#include "engine/component/instance.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/component/decoder.h"
#include "engine/core/module.h"
#include "test_util.h"

#ifndef LOKUST_SESSION_GUEST_WASM
#error "LOKUST_SESSION_GUEST_WASM must name build/guest/session_guest.wasm"
#endif

namespace lokust::component {
namespace {

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

const Val* Field(const Val& record, const std::string& name) {
  for (size_t i = 0; i < record.field_names().size(); ++i)
    if (record.field_names()[i] == name) return &record.elements()[i];
  return nullptr;
}

std::string Bytes(const Val& list) {
  std::string s;
  for (const Val& b : list.elements()) s.push_back(static_cast<char>(b.as_u64()));
  return s;
}

Val ByteList(const std::string& s) {
  std::vector<Val> out;
  for (unsigned char c : s) out.push_back(Val::U8(c));
  return Val::List(std::move(out));
}

struct Guest {
  std::vector<uint8_t> bytes;
  std::shared_ptr<ComponentAst> ast;
  std::shared_ptr<ComponentInfo> info;
  Linker linker;
  core::Store store;
  std::unique_ptr<Instance> instance;
  int executes = 0;
  std::string execute_trap;  // when set, agent-runtime execute traps with it
  uint64_t clock = 1000;
};

void DefineHost(Guest& g) {
  auto& clock = g.linker.Instance("wasi:clocks/monotonic-clock@0.2.11");
  ASSERT_TRUE(clock
                  .DefineFunc("now",
                              [&g](const std::vector<Val>&) -> Result<std::vector<Val>> {
                                g.clock += 1000000;
                                return std::vector<Val>{Val::U64(g.clock)};
                              })
                  .ok());
  auto& random = g.linker.Instance("wasi:random/random@0.2.11");
  ASSERT_TRUE(random
                  .DefineFunc("get-random-bytes",
                              [](const std::vector<Val>& args) -> Result<std::vector<Val>> {
                                std::vector<Val> out;
                                for (uint64_t i = 0; i < args.at(0).as_u64(); ++i)
                                  out.push_back(Val::U8(static_cast<uint8_t>(i * 37 + 11)));
                                return std::vector<Val>{Val::List(std::move(out))};
                              })
                  .ok());
  auto& gpu = g.linker.Instance("lokust:session-vm/gpu");
  ASSERT_TRUE(gpu.DefineFunc("available",
                             [](const std::vector<Val>&) -> Result<std::vector<Val>> {
                               return std::vector<Val>{Val::Bool(false)};
                             })
                  .ok());
  ASSERT_TRUE(gpu.DefineFunc("device-info",
                             [](const std::vector<Val>&) -> Result<std::vector<Val>> {
                               return std::vector<Val>{Val::String("no gpu (test host)")};
                             })
                  .ok());
  ASSERT_TRUE(gpu.DefineFunc("infer",
                             [](const std::vector<Val>&) -> Result<std::vector<Val>> {
                               return std::vector<Val>{
                                   Val::Result(false, Val::String("no gpu (test host)"))};
                             })
                  .ok());
  g.linker.Instance("lokust:session-vm/types");  // types only: nothing to define
  auto& agents = g.linker.Instance("lokust:session-vm/agent-runtime");
  ASSERT_TRUE(agents
                  .DefineFunc("execute",
                              [&g](const std::vector<Val>& args) -> Result<std::vector<Val>> {
                                ++g.executes;
                                if (!g.execute_trap.empty()) return Trap(g.execute_trap);
                                const Val* id = Field(args.at(0), "agent-id");
                                std::string out = "output of " + (id ? id->as_string() : "?");
                                return std::vector<Val>{
                                    Val::Result(true, Val::Record({{"output", ByteList(out)},
                                                                   {"tokens-used", Val::U64(42)},
                                                                   {"duration-ms", Val::U64(7)}}))};
                              })
                  .ok());
}

std::unique_ptr<Guest> Load() {
  auto g = std::make_unique<Guest>();
  g->bytes = ReadFile(LOKUST_SESSION_GUEST_WASM);
  EXPECT_FALSE(g->bytes.empty()) << LOKUST_SESSION_GUEST_WASM;
  auto ast = DecodeComponent(g->bytes);
  EXPECT_TRUE(ast.ok()) << (ast.ok() ? "" : ast.error().ToString());
  if (!ast) return nullptr;
  g->ast = *ast;
  auto info = ValidateComponent(*g->ast);
  EXPECT_TRUE(info.ok()) << (info.ok() ? "" : info.error().ToString());
  if (!info) return nullptr;
  g->info = *info;
  DefineHost(*g);
  return g;
}

TEST(ComponentInstance, SessionGuestRunsOnePhase) {
  auto g = Load();
  ASSERT_NE(g, nullptr);
  auto inst = Instance::Instantiate(g->store, *g->ast, *g->info, g->linker);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  g->instance = std::move(*inst);

  auto create = g->instance->GetFunc("lokust:session-vm/session-ops", "create-session");
  ASSERT_TRUE(create.ok()) << create.error().message;
  Val agent = Val::Record({{"agent-id", Val::String("planner")},
                           {"name", Val::String("Planner")},
                           {"role", Val::String("plans the work")},
                           {"phase-index", Val::U32(0)}});
  auto created = (*create)->Call({Val::List({agent})});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_EQ(created->size(), 1u);
  Val session_id = (*created)[0];
  const Val* inner = Field(session_id, "inner");
  ASSERT_NE(inner, nullptr);
  const std::string& id = inner->as_string();
  ASSERT_EQ(id.size(), 4u + 32u) << id;
  EXPECT_EQ(id.substr(0, 4), "ses_");
  for (char c : id.substr(4))
    EXPECT_NE(std::string("0123456789abcdef").find(c), std::string::npos) << id;

  auto run = g->instance->GetFunc("lokust:session-vm/session-ops", "run-next-phase");
  ASSERT_TRUE(run.ok()) << run.error().message;
  auto phase = (*run)->Call({session_id});
  ASSERT_TRUE(phase.ok()) << phase.error().ToString();
  ASSERT_EQ(phase->size(), 1u);
  const Val& pr = (*phase)[0];
  ASSERT_TRUE(pr.is_ok()) << pr.ToString();
  ASSERT_NE(pr.payload(), nullptr);
  EXPECT_EQ(Field(*pr.payload(), "agent-id")->as_string(), "planner");
  EXPECT_EQ(Field(*pr.payload(), "status")->label(), "completed");
  EXPECT_EQ(Bytes(*Field(*pr.payload(), "output")), "output of planner");
  EXPECT_EQ(Field(*pr.payload(), "tokens-used")->as_u64(), 42u);
  EXPECT_EQ(g->executes, 1);

  auto snap = g->instance->GetFunc("lokust:session-vm/session-ops", "get-snapshot");
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  auto s = (*snap)->Call({session_id});
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_EQ(s->size(), 1u);
  ASSERT_TRUE((*s)[0].is_some()) << (*s)[0].ToString();
  const Val& snapshot = *(*s)[0].payload();
  EXPECT_EQ(Field(*Field(snapshot, "id"), "inner")->as_string(), id);
  EXPECT_EQ(Field(snapshot, "status")->label(), "completed");
  EXPECT_EQ(Field(snapshot, "total-tokens")->as_u64(), 42u);
  const Val& phases = *Field(snapshot, "phases");
  ASSERT_EQ(phases.elements().size(), 1u);
  EXPECT_EQ(Bytes(*Field(phases.elements()[0], "output")), "output of planner");

  // A finished session: run-next-phase is an error value (not a trap).
  auto again = (*run)->Call({session_id});
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_FALSE((*again)[0].is_ok()) << (*again)[0].ToString();
}

TEST(ComponentInstance, MissingHostFunctionIsALinkError) {
  auto g = Load();
  ASSERT_NE(g, nullptr);
  Linker empty;
  auto inst = Instance::Instantiate(g->store, *g->ast, *g->info, empty);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.error().kind, Error::Kind::kLink);
}

TEST(ComponentInstance, UnknownExportIsAnError) {
  auto g = Load();
  ASSERT_NE(g, nullptr);
  auto inst = Instance::Instantiate(g->store, *g->ast, *g->info, g->linker);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  EXPECT_FALSE((*inst)->GetFunc("lokust:session-vm/session-ops", "no-such-func").ok());
  EXPECT_FALSE((*inst)->GetFunc("no:such/iface", "create-session").ok());
  EXPECT_TRUE((*inst)->GetFunc("lokust:session-vm/session-admin", "list-sessions").ok());
}

TEST(ComponentInstance, SessionLifecycleAcrossBothInterfaces) {
  auto g = Load();
  ASSERT_NE(g, nullptr);
  auto inst = Instance::Instantiate(g->store, *g->ast, *g->info, g->linker);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  auto ops = [&](const char* name) {
    auto f = (*inst)->GetFunc("lokust:session-vm/session-ops", name);
    EXPECT_TRUE(f.ok()) << name;
    return *f;
  };
  auto admin = [&](const char* name) {
    auto f = (*inst)->GetFunc("lokust:session-vm/session-admin", name);
    EXPECT_TRUE(f.ok()) << name;
    return *f;
  };
  auto agent = [](const char* id, uint32_t phase) {
    return Val::Record({{"agent-id", Val::String(id)},
                        {"name", Val::String(id)},
                        {"role", Val::String("works")},
                        {"phase-index", Val::U32(phase)}});
  };
  auto created = ops("create-session")->Call({Val::List({agent("first", 0), agent("second", 1)})});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Val id = (*created)[0];

  auto paused = ops("pause-session")->Call({id});
  ASSERT_TRUE(paused.ok()) << paused.error().ToString();
  ASSERT_TRUE((*paused)[0].is_ok()) << (*paused)[0].ToString();
  EXPECT_EQ((*paused)[0].payload()->label(), "paused");
  auto blocked = ops("run-next-phase")->Call({id});
  ASSERT_TRUE(blocked.ok()) << blocked.error().ToString();
  EXPECT_FALSE((*blocked)[0].is_ok());
  EXPECT_EQ(g->executes, 0);
  auto resumed = ops("resume-session")->Call({id});
  ASSERT_TRUE(resumed.ok()) << resumed.error().ToString();
  ASSERT_TRUE((*resumed)[0].is_ok()) << (*resumed)[0].ToString();

  for (int i = 0; i < 2; ++i) {
    auto r = ops("run-next-phase")->Call({id});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    ASSERT_TRUE((*r)[0].is_ok()) << (*r)[0].ToString();
  }
  EXPECT_EQ(g->executes, 2);

  auto metrics = ops("get-metrics")->Call({id});
  ASSERT_TRUE(metrics.ok()) << metrics.error().ToString();
  ASSERT_TRUE((*metrics)[0].is_some());
  const Val& m = *(*metrics)[0].payload();
  EXPECT_EQ(Field(m, "phases-completed")->as_u64(), 2u);
  EXPECT_EQ(Field(m, "phases-total")->as_u64(), 2u);
  EXPECT_EQ(Field(m, "total-tokens")->as_u64(), 84u);
  EXPECT_EQ(Field(m, "compression-ratio")->kind(), ValKind::kF64);

  auto exported = admin("export-session")->Call({id});
  ASSERT_TRUE(exported.ok()) << exported.error().ToString();
  ASSERT_TRUE((*exported)[0].is_ok()) << (*exported)[0].ToString();
  Val bytes = *(*exported)[0].payload();
  EXPECT_EQ(Bytes(bytes).substr(0, 4), "LKSS");

  auto dropped = admin("drop-session")->Call({id});
  ASSERT_TRUE(dropped.ok()) << dropped.error().ToString();
  EXPECT_TRUE((*dropped)[0].as_bool());
  auto none = admin("list-sessions")->Call({});
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  EXPECT_TRUE((*none)[0].elements().empty());

  auto imported = admin("import-session")->Call({bytes});
  ASSERT_TRUE(imported.ok()) << imported.error().ToString();
  ASSERT_TRUE((*imported)[0].is_ok()) << (*imported)[0].ToString();
  EXPECT_EQ(*(*imported)[0].payload(), id);
  auto one = admin("list-sessions")->Call({});
  ASSERT_TRUE(one.ok()) << one.error().ToString();
  ASSERT_EQ((*one)[0].elements().size(), 1u);
  EXPECT_EQ((*one)[0].elements()[0], id);
  auto snap = ops("get-snapshot")->Call({id});
  ASSERT_TRUE(snap.ok()) << snap.error().ToString();
  ASSERT_TRUE((*snap)[0].is_some());
  EXPECT_EQ(Field(*(*snap)[0].payload(), "status")->label(), "completed");
  EXPECT_EQ(Field(*(*snap)[0].payload(), "phases")->elements().size(), 2u);
}

TEST(ComponentInstance, HostErrorTrapsTheCall) {
  auto g = Load();
  ASSERT_NE(g, nullptr);
  g->execute_trap = "host agent runtime is down";
  auto inst = Instance::Instantiate(g->store, *g->ast, *g->info, g->linker);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  auto create = (*inst)->GetFunc("lokust:session-vm/session-ops", "create-session");
  ASSERT_TRUE(create.ok());
  Val agent = Val::Record({{"agent-id", Val::String("a")},
                           {"name", Val::String("A")},
                           {"role", Val::String("r")},
                           {"phase-index", Val::U32(0)}});
  auto created = (*create)->Call({Val::List({agent})});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  auto run = (*inst)->GetFunc("lokust:session-vm/session-ops", "run-next-phase");
  ASSERT_TRUE(run.ok());
  auto r = (*run)->Call({(*created)[0]});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::kTrap);
  EXPECT_NE(r.error().message.find("host agent runtime is down"), std::string::npos)
      << r.error().message;
  // The trap poisons the instance: the host stays up, later calls trap without running.
  EXPECT_TRUE((*inst)->poisoned());
  auto again = (*create)->Call({Val::List({agent})});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("cannot enter component instance"), std::string::npos)
      << again.error().message;
}

TEST(ComponentInstance, BadArgumentsAreAnErrorNotATrap) {
  auto g = Load();
  ASSERT_NE(g, nullptr);
  auto inst = Instance::Instantiate(g->store, *g->ast, *g->info, g->linker);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  auto create = (*inst)->GetFunc("lokust:session-vm/session-ops", "create-session");
  ASSERT_TRUE(create.ok());
  auto r = (*create)->Call({Val::U32(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::kInvalid);
  EXPECT_NE(r.error().message.find("argument 0 does not match"), std::string::npos)
      << r.error().message;
  EXPECT_FALSE((*inst)->poisoned());
}

TEST(ComponentInstance, EmptyComponentHasNoExports) {
  testing::Bytes b = testing::Preamble();
  auto ast = DecodeComponent(b);
  ASSERT_TRUE(ast.ok());
  auto info = ValidateComponent(**ast);
  ASSERT_TRUE(info.ok());
  core::Store store;
  Linker linker;
  auto inst = Instance::Instantiate(store, **ast, **info, linker);
  ASSERT_TRUE(inst.ok()) << inst.error().ToString();
  EXPECT_FALSE((*inst)->GetFunc("f").ok());
}

// A Component compiled once instantiates many times; the instances are independent (each
// has its own sessions).
TEST(ComponentInstance, CompiledComponentInstantiatesRepeatedly) {
  auto g = Load();
  ASSERT_NE(g, nullptr);
  auto c = Component::Compile(g->bytes);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  auto a = Instance::Instantiate(g->store, **c, g->linker);
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  auto b = Instance::Instantiate(g->store, **c, g->linker);
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  Val agent = Val::Record({{"agent-id", Val::String("planner")},
                           {"name", Val::String("Planner")},
                           {"role", Val::String("plans the work")},
                           {"phase-index", Val::U32(0)}});
  auto create_a = (*a)->GetFunc("lokust:session-vm/session-ops", "create-session");
  ASSERT_TRUE(create_a.ok());
  auto id = (*create_a)->Call({Val::List({agent})});
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  // The session exists in instance a only.
  auto snap_a = (*a)->GetFunc("lokust:session-vm/session-ops", "get-snapshot");
  auto snap_b = (*b)->GetFunc("lokust:session-vm/session-ops", "get-snapshot");
  ASSERT_TRUE(snap_a.ok() && snap_b.ok());
  auto in_a = (*snap_a)->Call({(*id)[0]});
  auto in_b = (*snap_b)->Call({(*id)[0]});
  ASSERT_TRUE(in_a.ok() && in_b.ok());
  EXPECT_TRUE((*in_a)[0].is_some());
  EXPECT_FALSE((*in_b)[0].is_some());
}

TEST(ComponentInstance, UnsupportedDefinitionsAreNamed) {
  // A value definition (the value section, id 12): (value bool true)
  testing::Bytes b = testing::Preamble();
  testing::AppendSection(b, 12, {0x01, 0x7f, 0x01, 0x01});
  auto ast = DecodeComponent(b);
  ASSERT_TRUE(ast.ok()) << ast.error().ToString();
  auto info = ValidateComponent(**ast);
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  core::Store store;
  Linker linker;
  auto inst = Instance::Instantiate(store, **ast, **info, linker);
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().message.find("not supported yet: this definition in value definition"),
            std::string::npos)
      << inst.error().message;
}

}  // namespace
}  // namespace lokust::component
