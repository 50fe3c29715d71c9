// The SSH endpoints of remote sessions, as their backend learned them at start. The host key
// is pinned with the first record: a later record for the same session may move the address
// (a tunnel can be reissued) but never change the key.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/store/database.h"
#include "core/base/result.h"
#include "core/terminal/ssh_endpoint.h"

namespace parhelia::core {

class EndpointStore {
 public:
  explicit EndpointStore(std::shared_ptr<Database> database) : database_(std::move(database)) {}

  // Records the endpoint; refuses (conflict) one whose host key is not the pinned one.
  Result<Done> pin(const std::string& session_id, const SshEndpoint& endpoint);
  Result<std::optional<SshEndpoint>> get(const std::string& session_id);

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace parhelia::core
