// The Backend interface: where sessions run. The local backend (this machine, tmux) is built
// in; the Modal backend implements the same interface in modal/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/session/session.h"

namespace parhelia::core {

struct BackendView {
  enum class Presence { alive, gone, starting } presence = Presence::starting;
  std::optional<int> exit_code;  // left behind by a session that ended
  bool files_missing = false;    // the backend holds nothing of the session any more
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // Starts the session's supervisor and returns at once; a launch that fails later is
  // recorded on the session by the backend itself.
  virtual Result<Done> launch(const Session& session) = 0;
  // What the backend knows of the session now. Cheap: no child process, no network.
  virtual BackendView inspect(const Session& session) = 0;
  // Asks the session to stop: SIGTERM to its work, SIGKILL after `grace_s`.
  virtual Result<Done> stop(const Session& session, int grace_s) = 0;
  // Asks for a checkpoint of the session's files now, answered under `token`
  // (core/checkpoints/checkpoint_request.h). Returns at once.
  virtual Result<Done> request_checkpoint(const Session& session, const std::string& token) = 0;
};

}  // namespace parhelia::core
