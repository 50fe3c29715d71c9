// How a checkpoint is asked of the process that owns a session's files: a request file with a
// token (the supervisor looks for it at every turn of its loop, a helper process is started
// with it for a session that has ended) and an answer file carrying the same token back.
#pragma once

#include <optional>
#include <string>

#include "core/session/session_files.h"

namespace parhelia::core {

struct CheckpointAnswer {
  std::string token;
  std::string checkpoint_id;  // empty when it failed
  bool unchanged = false;     // nothing changed since the checkpoint named
  std::string error;          // why it failed, in a sentence
};

std::string new_request_token();
void write_checkpoint_request(const SessionFiles& files, const std::string& token);
// The token of a pending request, which is taken (removed) by reading it.
std::optional<std::string> take_checkpoint_request(const SessionFiles& files);
void write_checkpoint_answer(const SessionFiles& files, const CheckpointAnswer& answer);
// The answer to the request with `token`, once there is one.
std::optional<CheckpointAnswer> read_checkpoint_answer(const SessionFiles& files,
                                                       const std::string& token);

}  // namespace parhelia::core
