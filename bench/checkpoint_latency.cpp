// Checkpoint and restore of a large workspace: a 200 MB project (200 files of 1 MB) of which
// 10 files change. Times the first checkpoint of a session (which also stores the starting
// files once), a later one after 10 more files change, an unchanged one (which stores
// nothing), and a restore into a new session. Prints the median and p99 of each.
//   parhelia_bench_checkpoints [--quick]   (--quick: 20 MB)
#include <cstring>
#include <fstream>

#include "bench/bench_stats.h"
#include "core/checkpoints/checkpointer.h"
#include "core/session/session_files.h"
#include "core/workspace/workspace.h"
#include "tests/support/temp_dir.h"

using namespace parhelia;
using bench::report;

namespace {

std::string random_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  std::ifstream("/dev/urandom", std::ios::binary).read(bytes.data(), static_cast<long>(size));
  return bytes;
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

template <class F>
double micros_of(F&& body) {
  const auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
      .count();
}

int fail(const core::Error& error) {
  std::fprintf(stderr, "%s\n", error.sentence().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && std::strcmp(argv[1], "--quick") != 0)) {
    std::fprintf(stderr, "usage: parhelia_bench_checkpoints [--quick]\n");
    return 2;
  }
  const int files = argc == 2 ? 20 : 200;
  testing::ParheliaHome home;
  testing::TempDir origin;
  for (int i = 0; i < files; ++i)
    write_file(origin.path() / ("data" + std::to_string(i) + ".bin"), random_bytes(1 << 20));

  auto database = core::Database::open(home.path());
  if (!database) return fail(database.error());
  auto store = core::Store::over(database.value()).value();
  core::Session session;
  session.id = core::new_session_id();
  session.workspace = origin.path().string();
  session.created_at = core::now_ms();
  if (auto inserted = store->insert(session); !inserted) return fail(inserted.error());
  const auto working_copy = core::SessionFiles::of(home.path(), session.id).working_copy();
  const auto& copy = working_copy.work_tree;
  if (auto prepared = core::prepare_working_copy(origin.path(), working_copy); !prepared)
    return fail(prepared.error());
  core::Checkpointer checkpointer(home.path(), database.value());

  int next_file = 0;
  const auto change_ten = [&] {
    for (int i = 0; i < 10; ++i, next_file = (next_file + 1) % files)
      write_file(copy / ("data" + std::to_string(next_file) + ".bin"), random_bytes(1 << 20));
  };
  std::printf("workspace: %d MB in %d files; 10 files of 1 MB change before each checkpoint\n",
              files, files);
  change_ten();
  core::Result<core::CheckpointTaken> taken = core::Error{};
  report(
      "first checkpoint (stores the base too)",
      {micros_of([&] { taken = checkpointer.take(session.id, core::CheckpointTrigger::manual); })});
  if (!taken) return fail(taken.error());
  std::printf("  checkpoint %lld bytes, base %lld bytes\n",
              static_cast<long long>(taken->checkpoint.size_bytes),
              static_cast<long long>(
                  checkpointer.store().base(taken->checkpoint.base_tree).value()->size_bytes));

  std::vector<double> later, unchanged, restore;
  for (int run = 0; run < 5; ++run) {
    change_ten();
    later.push_back(micros_of(
        [&] { taken = checkpointer.take(session.id, core::CheckpointTrigger::periodic); }));
    if (!taken) return fail(taken.error());
    unchanged.push_back(micros_of(
        [&] { taken = checkpointer.take(session.id, core::CheckpointTrigger::periodic); }));
    if (!taken || !taken->unchanged)
      return fail(core::Error{core::ErrorCode::internal, "changed?", ""});
  }
  report("later checkpoint, 10 files changed", later);
  report("unchanged checkpoint (nothing stored)", unchanged);
  std::printf("  checkpoint %lld bytes (%s)\n",
              static_cast<long long>(taken->checkpoint.size_bytes),
              taken->checkpoint.workspace_form.c_str());

  for (int run = 0; run < 3; ++run) {
    core::Session resumed;
    resumed.id = core::new_session_id();
    resumed.restore_from = taken->checkpoint.id;
    core::Result<core::Done> restored = core::Done{};
    restore.push_back(micros_of([&] { restored = checkpointer.restore(resumed); }));
    if (!restored) return fail(restored.error());
    std::error_code ec;
    std::filesystem::remove_all(core::SessionFiles::of(home.path(), resumed.id).dir, ec);
  }
  report("restore into a new session (verified)", restore);
  return 0;
}
