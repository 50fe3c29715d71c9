#include "modal/backend/sandbox_exec.h"

#include "core/base/sha256.h"

namespace parhelia::modal {
namespace {

// Stdin goes in pieces well under gRPC's usual 4 MiB message limit.
constexpr std::size_t kStdinPiece = 1 << 20;

}  // namespace

std::string exec_id_for(const std::string& session_id, const std::string& purpose) {
  const std::string hex = core::sha256_hex("parhelia exec " + session_id + " " + purpose);
  // A version-4-shaped UUID from the digest: 8-4-4-4-12.
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-4" + hex.substr(13, 3) + "-8" +
         hex.substr(17, 3) + "-" + hex.substr(20, 12);
}

int exit_status(const ExecExit& exit) {
  return exit.code ? *exit.code : exit.signal ? 128 + *exit.signal : -1;
}

core::Result<SandboxRun> run_in_sandbox(CommandRouter& router, ExecSpec spec,
                                        std::string_view input, std::chrono::seconds timeout) {
  spec.stderr_to_stdout = true;
  spec.timeout_secs = static_cast<unsigned>(timeout.count());
  if (auto started = router.exec_start(spec); !started) return started.error();
  std::uint64_t offset = 0;
  do {
    const std::string_view piece = input.substr(offset, kStdinPiece);
    const bool last = offset + piece.size() >= input.size();
    if (auto written = router.exec_write_stdin(spec.exec_id, offset, piece, last); !written)
      return written.error();
    offset += piece.size();
  } while (offset < input.size());
  SandboxRun run;
  auto read = router.exec_read(spec.exec_id, false, 0, [&run](std::string_view data) {
    run.out.append(data);
    return true;
  });
  if (!read) return read.error();
  auto exit = router.exec_wait(spec.exec_id, timeout);
  if (!exit) return exit.error();
  run.exit_code = exit_status(exit.value());
  return run;
}

}  // namespace parhelia::modal
