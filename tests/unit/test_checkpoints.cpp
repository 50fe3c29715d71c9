// The checkpoint store on its own: the file format, the transcript key Claude Code looks
// under, and a crash in the middle of writing a checkpoint.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "core/agent/agent_transcript.h"
#include "core/checkpoints/checkpoint_file.h"
#include "core/checkpoints/checkpointer.h"
#include "core/session/session_files.h"
#include "core/base/sha256.h"
#include "core/workspace/workspace.h"
#include "tests/support/session_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::core;
using parhelia::testing::GitWorkspace;
using parhelia::testing::started_session;
using parhelia::testing::TempDir;
using parhelia::testing::write_file;
namespace fs = std::filesystem;

namespace {

std::string random_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  std::ifstream("/dev/urandom", std::ios::binary).read(bytes.data(), static_cast<long>(size));
  return bytes;
}

}  // namespace

TEST_CASE("Claude Code's project key replaces every character but letters and digits",
          "[unit][checkpoints]") {
  CHECK(claude_project_key("/home/me/my_app.v2") == "-home-me-my-app-v2");
  CHECK(claude_project_key("/root/.local/share/parhelia/sessions/task-0a1b2c3d/workspace") ==
        "-root--local-share-parhelia-sessions-task-0a1b2c3d-workspace");
  CHECK(claude_project_key("/tmp/Проект") == "-tmp-------");  // one per character, not byte
}

TEST_CASE("a checkpoint file holds its parts under the hash of its bytes", "[unit][checkpoints]") {
  TempDir dir;
  write_file(dir.path() / "a", "alpha");
  write_file(dir.path() / "b", random_bytes(3 << 20));
  auto stored = write_checkpoint_file(dir.path() / "store", {{"format", 1}},
                                      {{"one", dir.path() / "a"}, {"two", dir.path() / "b"}});
  REQUIRE(stored);
  CHECK(stored->path == dir.path() / "store" / (stored->hash + ".ckpt"));
  CHECK(sha256_of_file(stored->path) == stored->hash);
  CHECK(verify_stored_file(stored->path, stored->hash));
  auto manifest = read_checkpoint_manifest(stored->path);
  REQUIRE(manifest);
  CHECK(manifest.value()["parts"][1]["size"] == 3 << 20);
  REQUIRE(extract_checkpoint_part(stored->path, "two", dir.path() / "out"));
  CHECK(sha256_of_file(dir.path() / "out") == sha256_of_file(dir.path() / "b"));
  CHECK_FALSE(extract_checkpoint_part(stored->path, "three", dir.path() / "x"));
  // One flipped byte is noticed.
  {
    std::fstream file(stored->path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(-10, std::ios::end);
    file.put('!');
  }
  const auto damaged = verify_stored_file(stored->path, stored->hash);
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().message.find("is damaged") != std::string::npos);
}

TEST_CASE("a crash in the middle of writing a checkpoint leaves the previous one whole",
          "[unit][checkpoints]") {
  parhelia::testing::ParheliaHome home;
  GitWorkspace origin;
  auto database = Database::open(home.path());
  REQUIRE(database);
  auto store = Store::over(database.value()).value();
  const Session session = started_session(*store, home.path(), origin.path());
  const SessionFiles files = SessionFiles::of(home.path(), session.id);
  Checkpointer checkpointer(home.path(), database.value());

  write_file(files.workspace / "first.txt", "one\n");
  auto first = checkpointer.take(session.id, CheckpointTrigger::manual);
  REQUIRE(first);
  CHECK_FALSE(first->unchanged);
  // Nothing changed: the same checkpoint stands, nothing is stored twice.
  auto same = checkpointer.take(session.id, CheckpointTrigger::periodic);
  REQUIRE(same);
  CHECK(same->unchanged);
  CHECK(same->checkpoint.id == first->checkpoint.id);

  // A large change, and the process dies once the first megabyte of it is on disk.
  write_file(files.workspace / "big.bin", random_bytes(4 << 20));
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto own = Database::open(home.path());
    if (!own) ::_exit(2);
    Checkpointer dying(home.path(), own.value());
    (void)dying.take(session.id, CheckpointTrigger::periodic,
                     [](std::uint64_t written, std::uint64_t) {
                       if (written > (1 << 20)) ::_exit(9);
                     });
    ::_exit(3);  // not reached: the write is longer than a megabyte
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 9);

  // What was half written lies under its temporary name; nothing lists it.
  std::size_t partial = 0;
  for (const auto& entry : fs::directory_iterator(home.path() / "checkpoints" / "tmp"))
    partial += entry.path().extension() == ".partial";
  CHECK(partial == 1);
  auto listed = checkpointer.store().of_session(session.id);
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().id == first->checkpoint.id);
  CHECK(
      verify_stored_file(checkpointer.store().file_of(listed->front()), first->checkpoint.sha256));

  // The previous checkpoint still restores, and the next one is taken normally.
  Session resumed;
  resumed.id = new_session_id();
  resumed.restore_from = first->checkpoint.id;
  REQUIRE(checkpointer.restore(resumed));
  const auto restored = SessionFiles::of(home.path(), resumed.id).workspace;
  std::ifstream in(restored / "first.txt");
  std::string text;
  std::getline(in, text);
  CHECK(text == "one");
  CHECK_FALSE(fs::exists(restored / "big.bin"));
  auto next = checkpointer.take(session.id, CheckpointTrigger::manual);
  REQUIRE(next);
  CHECK(next->checkpoint.changed_files == 2);
}
