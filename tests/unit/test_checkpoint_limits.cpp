// What a checkpoint copies of what a session wrote: regular files only, never through a link,
// and no more than its caps; what it leaves out is named. The session writes its HOME and its
// workspace, so every case here is something a hostile session can plant.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "core/agent/agent_transcript.h"
#include "core/checkpoints/checkpointer.h"
#include "core/session/session_files.h"
#include "core/workspace/workspace.h"
#include "tests/support/session_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::core;
using parhelia::testing::GitWorkspace;
using parhelia::testing::read_file;
using parhelia::testing::TempDir;
using parhelia::testing::write_file;
namespace fs = std::filesystem;

namespace {

// A file of `size` bytes that takes no disk: all of it a hole.
void sparse_file(const fs::path& path, std::uint64_t size) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc);
  fs::resize_file(path, size);
}

std::vector<std::string> names(const TranscriptFiles& transcript) {
  std::vector<std::string> list;
  for (const auto& [name, path] : transcript.files) list.push_back(name);
  return list;
}

std::string why_left_out(const std::vector<LeftOut>& left_out, const std::string& path) {
  for (const auto& item : left_out) {
    if (item.path == path) return item.why;
  }
  return "";
}

struct SessionHome {
  TempDir root;
  fs::path home = root.path() / "home";
  fs::path workspace = root.path() / "workspace";
  fs::path projects = home / ".claude" / "projects";
  fs::path dir = transcript_dir(home, workspace);
  std::string shown = ".claude/projects/" + claude_project_key(workspace.string()) + "/";
};

}  // namespace

TEST_CASE("a transcript copy takes regular files only: links and special files are named",
          "[unit][checkpoints][hostile]") {
  SessionHome session;
  TempDir outside;
  write_file(outside.path() / "secret.txt", "TOP SECRET\n");
  write_file(session.dir / "conversation.jsonl", "{\"a\":1}\n{\"b\":2");  // a line half written
  write_file(session.dir / "nested" / "sub.jsonl", "{\"c\":3}\n");
  fs::create_symlink(outside.path() / "secret.txt", session.dir / "leak.jsonl");
  fs::create_directory_symlink("/usr/include", session.dir / "include");
  REQUIRE(::mkfifo((session.dir / "pipe.jsonl").c_str(), 0600) == 0);

  TempDir staging;
  auto copied = copy_transcript(session.home, session.workspace, staging.path() / "t");
  REQUIRE(copied);
  CHECK(names(copied.value()) ==
        std::vector<std::string>{"conversation.jsonl", "nested/sub.jsonl"});
  CHECK(read_file(staging.path() / "t" / "conversation.jsonl") == "{\"a\":1}\n");
  CHECK(read_file(staging.path() / "t" / "nested" / "sub.jsonl") == "{\"c\":3}\n");
  CHECK_FALSE(fs::exists(fs::symlink_status(staging.path() / "t" / "leak.jsonl")));
  CHECK_FALSE(fs::exists(fs::symlink_status(staging.path() / "t" / "include")));
  const auto& left_out = copied->left_out;
  CHECK(why_left_out(left_out, session.shown + "leak.jsonl") == "a link, not a file");
  CHECK(why_left_out(left_out, session.shown + "include") == "a link, not a file");
  CHECK(why_left_out(left_out, session.shown + "pipe.jsonl") == "not a regular file");

  // The same transcript hashes the same; a change shows.
  TempDir again;
  auto second = copy_transcript(session.home, session.workspace, again.path() / "t");
  REQUIRE(second);
  CHECK(second->sha256 == copied->sha256);
  write_file(session.dir / "nested" / "sub.jsonl", "{\"c\":4}\n");
  TempDir third;
  CHECK(copy_transcript(session.home, session.workspace, third.path() / "t")->sha256 !=
        copied->sha256);
}

TEST_CASE("a transcript reached through a linked directory is not copied",
          "[unit][checkpoints][hostile]") {
  TempDir outside;
  write_file(outside.path() / "stolen.jsonl", "{\"secret\":true}\n");
  for (const std::string linked : {"key", "projects", ".claude"}) {
    DYNAMIC_SECTION("the link is " << linked) {
      SessionHome session;
      const std::string key = claude_project_key(session.workspace.string());
      fs::create_directories(session.home);
      if (linked == "key") {
        fs::create_directories(session.projects);
        fs::create_directory_symlink(outside.path(), session.projects / key);
      } else if (linked == "projects") {
        fs::create_directories(outside.path() / "p" / key);
        write_file(outside.path() / "p" / key / "x.jsonl", "{}\n");
        fs::create_directories(session.home / ".claude");
        fs::create_directory_symlink(outside.path() / "p", session.projects);
      } else {
        fs::create_directories(outside.path() / "c" / "projects" / key);
        write_file(outside.path() / "c" / "projects" / key / "x.jsonl", "{}\n");
        fs::create_directory_symlink(outside.path() / "c", session.home / ".claude");
      }
      TempDir staging;
      auto copied = copy_transcript(session.home, session.workspace, staging.path() / "t");
      REQUIRE(copied);
      CHECK(copied->files.empty());
      REQUIRE(copied->left_out.size() == 1);
      CHECK(copied->left_out[0].why == "a link, not a directory");
      CHECK(fs::is_empty(staging.path() / "t"));
    }
  }
}

TEST_CASE("a transcript copy is capped per file and in all, without reading what it leaves out",
          "[unit][checkpoints][hostile]") {
  SessionHome session;
  sparse_file(session.dir / "huge.jsonl", std::uint64_t{2} << 30);  // 2 GiB, no disk
  write_file(session.dir / "a.jsonl", std::string(600, 'a') + "\n");
  write_file(session.dir / "b.jsonl", std::string(600, 'b') + "\n");
  write_file(session.dir / "c.jsonl", std::string(300, 'c') + "\n");
  TranscriptLimits limits;
  limits.file_bytes = 1000;
  limits.total_bytes = 1000;
  TempDir staging;
  auto copied = copy_transcript(session.home, session.workspace, staging.path() / "t", limits);
  REQUIRE(copied);
  // In name order: a fits, b would pass the total, c still fits.
  CHECK(names(copied.value()) == std::vector<std::string>{"a.jsonl", "c.jsonl"});
  CHECK(why_left_out(copied->left_out, session.shown + "huge.jsonl") ==
        "2 GiB, over the 1000 bytes a transcript file may have");
  CHECK(why_left_out(copied->left_out, session.shown + "b.jsonl") ==
        "601 bytes, past the 1000 bytes a checkpoint keeps of a transcript");
  CHECK_FALSE(fs::exists(staging.path() / "t" / "huge.jsonl"));
}

TEST_CASE("a workspace file over the cap is left out of the checkpoint, not the session",
          "[unit][checkpoints][hostile]") {
  parhelia::testing::ParheliaHome home;
  GitWorkspace origin;
  auto database = Database::open(home.path());
  REQUIRE(database);
  auto store = Store::over(database.value()).value();
  const Session s =
      parhelia::testing::started_session(*store, home.path(), origin.path(), SessionKind::command);
  const SessionFiles files = SessionFiles::of(home.path(), s.id);

  CheckpointLimits limits;
  limits.workspace_file_bytes = 4096;
  limits.workspace_total_bytes = 6000;
  Checkpointer checkpointer(home.path(), database.value(), limits);
  sparse_file(files.workspace / "data" / "huge.bin", std::uint64_t{5} << 30);  // 5 GiB, no disk
  write_file(files.workspace / "one.txt", std::string(3000, '1'));
  write_file(files.workspace / "two.txt", std::string(4000, '2'));  // together past the total
  write_file(files.workspace / "small.txt", "small\n");
  sparse_file(files.workspace / "training.log", std::uint64_t{5} << 30);  // ignored: no word
  auto taken = checkpointer.take(s.id, CheckpointTrigger::manual);
  INFO((taken ? "" : taken.error().sentence()));
  REQUIRE(taken);
  CHECK(taken->checkpoint.size_bytes < (1 << 20));
  CHECK(why_left_out(taken->left_out, "data/huge.bin") ==
        "5 GiB, over the 4 KiB a checkpoint keeps of a file");
  CHECK(why_left_out(taken->left_out, "two.txt") ==
        "3.9 KiB, past the 5.9 KiB a checkpoint keeps of changed files");
  CHECK(why_left_out(taken->left_out, "one.txt").empty());
  CHECK(taken->left_out.size() == 2);
  CHECK(fs::file_size(files.workspace / "data" / "huge.bin") == std::uint64_t{5} << 30);

  // What it holds restores whole; what it left out is not there.
  Session resumed;
  resumed.id = new_session_id();
  resumed.restore_from = taken->checkpoint.id;
  REQUIRE(checkpointer.restore(resumed));
  const auto restored = SessionFiles::of(home.path(), resumed.id).workspace;
  CHECK(read_file(restored / "one.txt") == std::string(3000, '1'));
  CHECK(read_file(restored / "small.txt") == "small\n");
  CHECK_FALSE(fs::exists(restored / "two.txt"));
  CHECK_FALSE(fs::exists(restored / "data" / "huge.bin"));
}
