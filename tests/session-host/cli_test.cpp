// session-host on the command line: help, bad specs (exit 2, the field named), unknown ids
// (exit 3), the sessions commands end to end, keys kept out of everything printed or stored,
// and crash safety: SIGKILL in the middle of a session, then `sessions run` finishes it with
// every phase completed before the kill intact.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_http_server.h"
#include "test_support.h"

#ifndef LOKUST_SESSION_HOST
#error "LOKUST_SESSION_HOST must name the session-host binary"
#endif

extern char** environ;

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/lokust-cli-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

struct Outcome {
  int code = -1;
  std::string out, err;
};

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

// Runs session-host with `args`, stdout and stderr into files, and waits for it.
Outcome Exec(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), LOKUST_SESSION_HOST);
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto argv = Argv(args);
  pid_t pid;
  Outcome o;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return o;
  int status = 0;
  ::waitpid(pid, &status, 0);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.out = ReadFile(out);
  o.err = ReadFile(err);
  return o;
}

// A three-phase heuristic spec; `delay_ms` makes each agent call that slow.
std::string Spec(uint32_t delay_ms, size_t agents = 3) {
  json j = {{"objective", "Plan the rollout of a session VM to three regions"},
            {"runtime", {{"name", "heuristic"}, {"output_bytes", 1024}, {"delay_ms", delay_ms}}},
            {"agents", json::array()}};
  const char* roles[] = {"planner", "researcher", "critic", "writer"};
  for (size_t i = 0; i < agents; ++i)
    j["agents"].push_back(
        {{"id", std::string(roles[i % 4]) + std::to_string(i)}, {"role", roles[i % 4]}});
  return j.dump(2);
}

class SessionHostCli : public ::testing::Test {
 protected:
  Outcome Host(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", (tmp_.path() / "data").string(), "--gpu", "cpu"});
    return Exec(tmp_.path(), std::move(args));
  }
  json ShowJson(const std::string& id) {
    Outcome o = Host({"sessions", "show", id, "--json"});
    EXPECT_EQ(o.code, 0) << o.err;
    return json::parse(o.out);
  }
  TempDir tmp_;
};

TEST_F(SessionHostCli, HelpOnEverySubcommand) {
  Outcome top = Exec(tmp_.path(), {"--help"});
  EXPECT_EQ(top.code, 0);
  for (const char* word : {"demo", "run", "sessions", "--data-dir", "--concurrency",
                           "--guest-memory-mib", "--guest-time-ms", "Exit codes"})
    EXPECT_NE(top.out.find(word), std::string::npos) << word << "\n" << top.out;
  const std::vector<std::vector<std::string>> subs = {{"run"},
                                                      {"demo"},
                                                      {"sessions"},
                                                      {"sessions", "list"},
                                                      {"sessions", "create"},
                                                      {"sessions", "show"},
                                                      {"sessions", "pause"},
                                                      {"sessions", "resume"},
                                                      {"sessions", "run"},
                                                      {"sessions", "export"},
                                                      {"sessions", "import"},
                                                      {"sessions", "drop"},
                                                      {"sessions", "migrate"},
                                                      {"gpu"},
                                                      {"gpu", "info"},
                                                      {"gpu", "infer"}};
  for (auto args : subs) {
    std::string name = args.back();
    args.push_back("--help");
    Outcome o = Exec(tmp_.path(), args);
    EXPECT_EQ(o.code, 0) << name;
    EXPECT_NE(o.out.find("Usage:"), std::string::npos) << name << "\n" << o.out;
    if (name != "demo")
      EXPECT_NE(o.out.find("Global options"), std::string::npos) << name << "\n" << o.out;
  }
  Outcome none = Exec(tmp_.path(), {});
  EXPECT_EQ(none.code, 2);
  Outcome bogus = Exec(tmp_.path(), {"sessions", "list", "--bogus"});
  EXPECT_EQ(bogus.code, 2);
  EXPECT_NE(bogus.err.find("--bogus"), std::string::npos) << bogus.err;
}

TEST_F(SessionHostCli, BadSpecFilesExitTwoAndNameTheField) {
  struct Case {
    std::string file, text, message;
  };
  const std::vector<Case> cases = {
      {"empty-id.json", R"({"agents": [{"id": "a"}, {"id": ""}]})",
       "spec.agents[1].id: must be a non-empty string"},
      {"missing-id.toml", "[[agents]]\nid = \"a\"\n[[agents]]\nrole = \"critic\"\n",
       "spec.agents[1].id: missing (must be a non-empty string)"},
      {"budget.toml", "context_budget = 1\n[[agents]]\nid = \"a\"\n",
       "spec.context_budget: 1 is out of range [256, 1048576]"},
      {"typo.json", R"({"agents": [{"id": "a"}], "runtime": {"nmae": "openai"}})",
       "spec.runtime.nmae: unknown field"},
      {"key.json", R"({"agents": [{"id": "a"}], "runtime": {"api_key": "sk-inline-secret"}})",
       "spec.runtime.api_key: API keys are not accepted in spec files"},
      {"syntax.json", R"({"agents": [)", "spec: invalid JSON"},
      {"syntax.toml", "agents = [\n", "spec: invalid TOML at line"},
  };
  for (const Case& c : cases) {
    WriteFile(tmp_.path() / c.file, c.text);
    Outcome o = Host({"run", (tmp_.path() / c.file).string()});
    EXPECT_EQ(o.code, 2) << c.file << ": " << o.err;
    EXPECT_NE(o.err.find(c.file + ": " + c.message), std::string::npos) << c.file << ": " << o.err;
    EXPECT_EQ(o.err.find("sk-inline-secret"), std::string::npos) << o.err;
  }
  Outcome missing = Host({"run", (tmp_.path() / "no-such.toml").string()});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("no-such.toml: cannot open the spec file"), std::string::npos)
      << missing.err;
  // Nothing was created by any of them.
  Outcome list = Host({"sessions", "list", "--json"});
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out), json::array());
}

TEST_F(SessionHostCli, GuestLimitsOutOfRangeAreUsageErrors) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--guest-memory-mib", "0", "sessions", "list"},
        {"--guest-memory-mib", "4097", "sessions", "list"},
        {"--guest-time-ms", "-5", "sessions", "list"}}) {
    Outcome o = Host(args);
    EXPECT_EQ(o.code, 2) << args[0] << " " << args[1] << ": " << o.err;
    EXPECT_NE(o.err.find(args[0]), std::string::npos) << o.err;
  }
}

#ifdef LOKUST_HOSTILE_GUEST_WASM
// A --component without session-admin fails at start, naming the missing export, for the
// demo and for the commands that open the host alike.
TEST_F(SessionHostCli, AComponentThatIsNoFullSessionVmIsRefusedAtStart) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"demo"}, std::vector<std::string>{"sessions", "list"}}) {
    args.insert(args.begin(), {"--component", LOKUST_HOSTILE_GUEST_WASM});
    Outcome o = Host(args);
    EXPECT_EQ(o.code, 1) << args.back() << ": " << o.err;
    EXPECT_NE(o.err.find("it does not export lokust:session-vm/session-admin#"), std::string::npos)
        << o.err;
    EXPECT_NE(o.err.find("session-vm-ext world"), std::string::npos) << o.err;
  }
}
#endif

TEST_F(SessionHostCli, UnknownSessionIdsExitThree) {
  const std::string id = "ses_0123456789abcdef0123456789abcdef";
  for (std::vector<std::string> args :
       {std::vector<std::string>{"sessions", "show", id},
        {"sessions", "pause", id},
        {"sessions", "resume", id},
        {"sessions", "run", id},
        {"sessions", "drop", id},
        {"sessions", "migrate", id, "--to", (tmp_.path() / "elsewhere").string()},
        {"sessions", "export", id, "-o", (tmp_.path() / "x.lkss").string()}}) {
    Outcome o = Host(args);
    EXPECT_EQ(o.code, 3) << args[1] << ": " << o.err;
    EXPECT_NE(o.err.find("unknown session \"" + id + "\""), std::string::npos) << o.err;
  }
}

TEST_F(SessionHostCli, MigrateMovesASessionToAnotherDataDirectory) {
  WriteFile(tmp_.path() / "spec.json", Spec(0));
  Outcome created = Host({"sessions", "create", (tmp_.path() / "spec.json").string()});
  ASSERT_EQ(created.code, 0) << created.err;
  const std::string id = created.out.substr(0, created.out.find('\n'));
  const std::string other = (tmp_.path() / "other").string();

  Outcome self = Host({"sessions", "migrate", id, "--to", (tmp_.path() / "data").string()});
  EXPECT_EQ(self.code, 2) << self.err;
  EXPECT_NE(self.err.find("names the data directory itself"), std::string::npos) << self.err;

  Outcome moved = Host({"sessions", "migrate", id, "--to", other, "--json"});
  ASSERT_EQ(moved.code, 0) << moved.err;
  EXPECT_EQ(json::parse(moved.out)["id"], id);
  EXPECT_EQ(Host({"sessions", "show", id}).code, 3);
  EXPECT_FALSE(fs::exists(tmp_.path() / "data" / "sessions" / (id + ".lkss")));
  EXPECT_TRUE(fs::exists(fs::path(other) / "sessions" / (id + ".lkss")));
  // It runs to the end in its new data directory.
  Outcome ran = Exec(tmp_.path(), {"--data-dir", other, "--gpu", "cpu", "sessions", "run", id});
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_NE(ran.out.find("3/3 phases completed"), std::string::npos) << ran.out;
}

TEST_F(SessionHostCli, SessionsCommandsEndToEnd) {
  WriteFile(tmp_.path() / "spec.json", Spec(0));
  Outcome run = Host({"run", (tmp_.path() / "spec.json").string(), "--json"});
  ASSERT_EQ(run.code, 0) << run.err;
  json r = json::parse(run.out);
  const std::string id = r["session"];
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["metrics"]["phasesCompleted"], 3);

  Outcome list = Host({"sessions", "list"});
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find(id + "  completed  3/3"), std::string::npos) << list.out;

  json shown = ShowJson(id);
  EXPECT_EQ(shown["status"], "completed");
  EXPECT_EQ(shown["phases"].size(), 3u);
  EXPECT_EQ(shown["phases"][2]["outputBytes"], 1024);
  EXPECT_EQ(shown["objective"], "Plan the rollout of a session VM to three regions");

  Outcome pause = Host({"sessions", "pause", id});
  EXPECT_EQ(pause.code, 1);
  EXPECT_NE(pause.err.find("is completed: there is nothing to pause"), std::string::npos)
      << pause.err;

  const std::string file = (tmp_.path() / "s.lkss").string();
  Outcome exp = Host({"sessions", "export", id, "-o", file});
  ASSERT_EQ(exp.code, 0) << exp.err;
  EXPECT_EQ(ReadFile(file).substr(0, 4), "LKSS");
  // The id is taken, so the import gets a fresh one; the data dir then holds both.
  Outcome imp = Host({"sessions", "import", file, "--json"});
  ASSERT_EQ(imp.code, 0) << imp.err;
  const std::string copy = json::parse(imp.out)["session"];
  EXPECT_NE(copy, id);
  EXPECT_EQ(ShowJson(copy)["phases"], shown["phases"]);
  Outcome bad = Host({"sessions", "import", (tmp_.path() / "spec.json").string()});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("import-session: "), std::string::npos) << bad.err;

  Outcome drop = Host({"sessions", "drop", id});
  EXPECT_EQ(drop.code, 0) << drop.err;
  Outcome after = Host({"sessions", "list", "--json"});
  json ids = json::parse(after.out);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0]["session"], copy);
  EXPECT_FALSE(fs::exists(tmp_.path() / "data" / "sessions" / (id + ".lkss")));
}

TEST_F(SessionHostCli, CreatePauseResumeAndRunStoredSessions) {
  WriteFile(tmp_.path() / "spec.toml",
            "[[agents]]\nid = \"planner\"\nrole = \"planner\"\n"
            "[[agents]]\nid = \"critic\"\nrole = \"critic\"\n");
  Outcome a = Host({"sessions", "create", (tmp_.path() / "spec.toml").string()});
  ASSERT_EQ(a.code, 0) << a.err;
  Outcome b = Host({"sessions", "create", (tmp_.path() / "spec.toml").string(), "--json"});
  ASSERT_EQ(b.code, 0) << b.err;
  const std::string first = a.out.substr(0, a.out.find('\n'));
  const std::string second = json::parse(b.out)["session"];
  EXPECT_EQ(ShowJson(first)["status"], "idle");

  Outcome paused = Host({"sessions", "pause", first});
  EXPECT_EQ(paused.code, 0) << paused.err;
  EXPECT_EQ(paused.out, "session " + first + ": paused\n");
  Outcome blocked = Host({"sessions", "run", first});
  EXPECT_EQ(blocked.code, 1);
  EXPECT_NE(blocked.err.find("is paused: resume it before running the next phase"),
            std::string::npos)
      << blocked.err;

  // --all runs what is idle or running, not the paused one.
  Outcome all = Host({"sessions", "run", "--all", "--json"});
  ASSERT_EQ(all.code, 0) << all.err;
  json ran = json::parse(all.out);
  ASSERT_EQ(ran["session"], second);
  EXPECT_EQ(ran["status"], "completed");
  EXPECT_EQ(ShowJson(first)["status"], "paused");

  Outcome resumed = Host({"sessions", "resume", first, "--json"});
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(json::parse(resumed.out)["status"], "idle");
  Outcome finish = Host({"sessions", "run", first});
  ASSERT_EQ(finish.code, 0) << finish.err;
  EXPECT_NE(finish.out.find("done: 2/2 phases completed"), std::string::npos) << finish.out;
  Outcome none = Host({"sessions", "run", "--all"});
  EXPECT_EQ(none.code, 0);
  EXPECT_NE(none.out.find("no session to run"), std::string::npos) << none.out;
}

TEST_F(SessionHostCli, KeysNeverReachOutputOrStorage) {
  lokust::host::test::TestHttpServer server;
  ASSERT_TRUE(server.listening());
  for (int i = 0; i < 2; ++i)
    server.push_json(200, R"({"choices": [{"message": {"role": "assistant",
                              "content": "Steps: 1, 2, 3."}}],
                              "usage": {"prompt_tokens": 40, "completion_tokens": 9,
                                        "total_tokens": 49}})");
  const std::string key = "sk-test-CLI-S3CRET-0123456789";
  WriteFile(tmp_.path() / "openai.key", key + "\n");
  WriteFile(tmp_.path() / "spec.toml",
            "objective = \"o\"\n[runtime]\nname = \"openai\"\nmodel = \"m\"\n"
            "api_key_file = \"openai.key\"\nbase_url = \"" +
                server.base_url() +
                "\"\n[[agents]]\nid = \"planner\"\nrole = \"planner\"\n"
                "[[agents]]\nid = \"critic\"\nrole = \"critic\"\n");
  Outcome run = Host({"run", (tmp_.path() / "spec.toml").string()});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("2/2 phases completed, 98 tokens"), std::string::npos) << run.out;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("authorization"), "Bearer " + key);
  std::string everything = run.out + run.err;
  for (const auto& args : {std::vector<std::string>{"sessions", "list", "--json"},
                           std::vector<std::string>{"sessions", "list"}}) {
    Outcome o = Host(args);
    everything += o.out + o.err;
  }
  const std::string id = json::parse(Host({"sessions", "list", "--json"}).out)[0]["session"];
  everything += Host({"sessions", "show", id}).out + Host({"sessions", "show", id, "--json"}).out;
  for (const auto& entry : fs::recursive_directory_iterator(tmp_.path() / "data"))
    if (entry.is_regular_file()) everything += ReadFile(entry.path());
  EXPECT_EQ(everything.find(key), std::string::npos);
  EXPECT_EQ(everything.find("S3CRET"), std::string::npos);
  // What is stored is where the key lives, so a later `sessions run` can use it again.
  EXPECT_NE(everything.find((tmp_.path() / "openai.key").string()), std::string::npos);
}

TEST_F(SessionHostCli, AFailedPhaseSaysHowToRetryAndResumeRetriesIt) {
  // The model server answers the first call, then refuses the second with a 400 (not retried).
  lokust::host::test::TestHttpServer server;
  ASSERT_TRUE(server.listening());
  server.push_json(200, R"({"choices": [{"message": {"role": "assistant", "content": "Plan."}}],
                            "usage": {"prompt_tokens": 4, "completion_tokens": 2}})");
  server.push_json(400, R"({"error": {"message": "context too long", "type": "invalid_request"}})");
  WriteFile(tmp_.path() / "spec.json",
            json{{"objective", "o"},
                 {"runtime", {{"name", "openai"}, {"base_url", server.base_url()}}},
                 {"agents", {{{"id", "planner"}}, {{"id", "critic"}}}}}
                .dump());
  Outcome run = Host({"run", (tmp_.path() / "spec.json").string()});
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_NE(run.err.find("context too long"), std::string::npos) << run.err;
  const std::string id = json::parse(Host({"sessions", "list", "--json"}).out)[0]["session"];
  EXPECT_NE(run.err.find("`session-host sessions resume " + id + "` then `sessions run " + id +
                         "` retries the failed phase"),
            std::string::npos)
      << run.err;
  json shown = ShowJson(id);
  EXPECT_EQ(shown["status"], "failed");
  EXPECT_EQ(shown["phases"][0]["status"], "completed");
  // As the hint says: resume, then run (on the heuristic runtime: the server is done).
  ASSERT_EQ(Host({"sessions", "resume", id}).code, 0);
  Outcome rerun = Host({"--runtime", "heuristic", "sessions", "run", id});
  ASSERT_EQ(rerun.code, 0) << rerun.err;
  EXPECT_NE(rerun.out.find("[2/2] critic: completed"), std::string::npos) << rerun.out;
  EXPECT_EQ(ShowJson(id)["phases"][0]["output"], "Plan.");  // the stored phase was kept
}

TEST_F(SessionHostCli, GpuInfoAndInferOutsideASession) {
  Outcome info = Host({"gpu", "info", "--json"});
  ASSERT_EQ(info.code, 0) << info.err;
  json i = json::parse(info.out);
  EXPECT_EQ(i["backend"], "cpu");
  EXPECT_EQ(i["available"], true);
  EXPECT_NE(i["deviceInfo"].get<std::string>().find("cpu: reference backend"), std::string::npos);

  Outcome embed =
      Host({"gpu", "infer", "lokust/embed-v1", "--input", R"({"shape":[1,3],"data":[1,2,3]})"});
  ASSERT_EQ(embed.code, 0) << embed.err;
  json e = json::parse(embed.out);
  EXPECT_EQ(e["shape"], json::array({1, 256}));
  double norm = 0;
  for (const auto& x : e["data"]) norm += x.get<double>() * x.get<double>();
  EXPECT_NEAR(norm, 1.0, 1e-5);  // embed-v1 rows are unit vectors

  // mlp/hand: h = relu(W0 x + b0), y = W1 h, every value exact in f32.
  namespace gt = lokust::host::gpu::test;  // the gpu tests' own safetensors writer
  fs::create_directories(tmp_.path() / "data" / "models");
  gt::write_file(tmp_.path() / "data" / "models" / "hand.safetensors",
                 gt::safetensors_bytes({gt::f32_entry("layers.0.weight", {2, 2}, {1, 2, 3, 4}),
                                        gt::f32_entry("layers.0.bias", {2}, {0.5f, -0.5f}),
                                        gt::f32_entry("layers.1.weight", {1, 2}, {1, -1})}));
  WriteFile(tmp_.path() / "in.json", R"({"shape": [2, 2], "data": [1, 1, 1, -2]})");
  Outcome mlp =
      Host({"gpu", "infer", "mlp/hand", "--input", "@" + (tmp_.path() / "in.json").string()});
  ASSERT_EQ(mlp.code, 0) << mlp.err;
  EXPECT_EQ(mlp.out, "{\"shape\":[2,1],\"data\":[-3,0]}\n");

  Outcome missing =
      Host({"gpu", "infer", "mlp/nope", "--input", R"({"shape":[1,2],"data":[1,2]})"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("models/nope.safetensors"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.err.find(tmp_.path().string()), std::string::npos) << missing.err;
  Outcome shape =
      Host({"gpu", "infer", "mlp/hand", "--input", R"({"shape":[1,3],"data":[1,2,3]})"});
  EXPECT_EQ(shape.code, 1);
  EXPECT_NE(shape.err.find("infer mlp/hand: "), std::string::npos) << shape.err;
  for (const char* bad :
       {"[1,2]", R"({"shape":[-1],"data":[]})", R"({"shape":[1],"data":["x"]})", "not json"}) {
    Outcome o = Host({"gpu", "infer", "lokust/embed-v1", "--input", bad});
    EXPECT_EQ(o.code, 2) << bad;
    EXPECT_NE(o.err.find("--input"), std::string::npos) << bad << ": " << o.err;
  }
}

// Starts `session-host run` with stdout on a pipe; returns its pid and the pipe's read end.
pid_t Start(std::vector<std::string> args, int* read_fd) {
  args.insert(args.begin(), LOKUST_SESSION_HOST);
  int p[2];
  if (::pipe(p) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  auto argv = Argv(args);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  ::close(p[1]);
  *read_fd = p[0];
  return pid;
}

// Reads from fd until `needle` has been seen (or EOF); returns everything read.
std::string ReadUntil(int fd, const std::string& needle) {
  std::string got;
  char buf[4096];
  while (got.find(needle) == std::string::npos) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST_F(SessionHostCli, SigkillMidSessionLosesNoCompletedPhaseAndTheSessionFinishes) {
  // Four phases of 300 ms each: the host is killed right after phase 2 was stored and
  // reported, while phase 3 runs.
  WriteFile(tmp_.path() / "slow.json", Spec(300, 4));
  int fd = -1;
  pid_t pid = Start({"--data-dir", (tmp_.path() / "data").string(), "--gpu", "cpu", "run",
                     (tmp_.path() / "slow.json").string()},
                    &fd);
  ASSERT_GT(pid, 0);
  std::string seen = ReadUntil(fd, "[2/4]");
  ASSERT_NE(seen.find("[2/4]"), std::string::npos) << seen;
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fd);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(seen.rfind("session ses_", 0), 0u) << seen;
  const std::string id = seen.substr(8, seen.find(':') - 8);

  // After the kill: every phase reported before it is stored as completed.
  json before = ShowJson(id);
  ASSERT_EQ(before["phases"].size(), 4u);
  size_t completed = 0;
  while (completed < 4 && before["phases"][completed]["status"] == "completed") ++completed;
  EXPECT_GE(completed, 2u);
  for (size_t k = completed; k < 4; ++k)
    EXPECT_EQ(before["phases"][k]["status"], "queued") << k;  // an interrupted phase is queued
  EXPECT_EQ(before["status"], "running");

  // Restart: `sessions run` finishes it, starting at the first phase not completed.
  Outcome finish = Host({"sessions", "run", id});
  ASSERT_EQ(finish.code, 0) << finish.err;
  EXPECT_NE(finish.out.find("[" + std::to_string(completed + 1) + "/4]"), std::string::npos)
      << finish.out;
  for (size_t k = 1; k <= completed; ++k)
    EXPECT_EQ(finish.out.find("[" + std::to_string(k) + "/4]"), std::string::npos) << finish.out;
  EXPECT_NE(finish.out.find("done: 4/4 phases completed"), std::string::npos) << finish.out;

  json after = ShowJson(id);
  EXPECT_EQ(after["status"], "completed");
  for (size_t k = 0; k < completed; ++k) {
    EXPECT_EQ(after["phases"][k]["output"], before["phases"][k]["output"]) << k;
    EXPECT_EQ(after["phases"][k]["tokensUsed"], before["phases"][k]["tokensUsed"]) << k;
  }
  // The heuristic agent is deterministic: the finished session has exactly the outputs of a
  // session that was never interrupted.
  WriteFile(tmp_.path() / "fast.json", Spec(0, 4));
  Outcome clean = Host({"run", (tmp_.path() / "fast.json").string(), "--json"});
  ASSERT_EQ(clean.code, 0) << clean.err;
  json reference = ShowJson(json::parse(clean.out)["session"]);
  for (size_t k = 0; k < 4; ++k)
    EXPECT_EQ(after["phases"][k]["output"], reference["phases"][k]["output"]) << k;
}

TEST_F(SessionHostCli, CtrlCFinishesTheRunningPhasesThenStops) {
  WriteFile(tmp_.path() / "slow.json", Spec(300, 4));
  int fd = -1;
  pid_t pid = Start({"--data-dir", (tmp_.path() / "data").string(), "--gpu", "cpu", "run",
                     (tmp_.path() / "slow.json").string()},
                    &fd);
  ASSERT_GT(pid, 0);
  std::string seen = ReadUntil(fd, "[1/4]");
  ASSERT_NE(seen.find("[1/4]"), std::string::npos) << seen;
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  seen += ReadUntil(fd, "\x01");  // to EOF
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fd);
  ASSERT_TRUE(WIFEXITED(status)) << seen;
  EXPECT_EQ(WEXITSTATUS(status), 130) << seen;
  EXPECT_NE(seen.find("interrupted: "), std::string::npos) << seen;
  EXPECT_EQ(seen.find("[4/4]"), std::string::npos) << seen;  // it stopped early
  const std::string id = seen.substr(8, seen.find(':') - 8);
  // Every phase it reported is stored as completed, and nothing is left running.
  json shown = ShowJson(id);
  size_t completed = 0;
  for (const auto& p : shown["phases"]) completed += p["status"] == "completed";
  for (size_t k = 1; k <= 3; ++k)
    if (seen.find("[" + std::to_string(k) + "/4]") != std::string::npos)
      EXPECT_EQ(shown["phases"][k - 1]["status"], "completed") << k;
  EXPECT_GE(completed, 1u);
  EXPECT_LT(completed, 4u);
  Outcome finish = Host({"sessions", "run", id});
  ASSERT_EQ(finish.code, 0) << finish.err;
  EXPECT_NE(finish.out.find("done: 4/4 phases completed"), std::string::npos) << finish.out;
}

}  // namespace
