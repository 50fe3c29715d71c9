// What this server knows of the client it talks to: the negotiated protocol version, the
// client's capabilities and identity, its log level and its roots. Shared by every request,
// so guarded here rather than by callers.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/jsonrpc.h"
#include "server/log_level.h"
#include "server/protocol_version.h"

namespace parhelia::server {

class ClientSession {
 public:
  ClientSession() : version_(ProtocolVersion::newest()) {}

  // initialize: false if it already happened.
  bool begin(const ProtocolVersion& version, json capabilities, json client_info);
  bool initialized() const;
  ProtocolVersion version() const;
  json capabilities() const;
  json client_info() const;
  bool supports(const std::string& capability) const;

  void set_log_level(LogLevel level);
  bool logs_at(LogLevel level) const;

  void set_roots(std::vector<std::string> root_uris);
  std::vector<std::string> roots() const;

  // False when the client already holds kMaxSubscriptions others.
  bool subscribe(const std::string& uri);
  static constexpr std::size_t kMaxSubscriptions = 1024;
  void unsubscribe(const std::string& uri);
  bool subscribed(const std::string& uri) const;
  std::set<std::string> subscriptions() const;

 private:
  mutable std::mutex mutex_;
  bool initialized_ = false;
  ProtocolVersion version_;
  json capabilities_ = json::object();
  json client_info_ = json::object();
  // Until the client asks otherwise, only warnings and worse are sent as notifications.
  LogLevel log_level_ = LogLevel::warning;
  std::vector<std::string> roots_;
  std::set<std::string> subscriptions_;
};

}  // namespace parhelia::server
