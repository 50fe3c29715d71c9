#include "server/client_session.h"

namespace parhelia::server {

bool ClientSession::begin(const ProtocolVersion& version, json capabilities, json client_info) {
  std::lock_guard lock(mutex_);
  if (initialized_) return false;
  initialized_ = true;
  version_ = version;
  capabilities_ = capabilities.is_object() ? std::move(capabilities) : json::object();
  client_info_ = std::move(client_info);
  return true;
}

bool ClientSession::initialized() const {
  std::lock_guard lock(mutex_);
  return initialized_;
}

ProtocolVersion ClientSession::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

json ClientSession::capabilities() const {
  std::lock_guard lock(mutex_);
  return capabilities_;
}

json ClientSession::client_info() const {
  std::lock_guard lock(mutex_);
  return client_info_;
}

bool ClientSession::supports(const std::string& capability) const {
  std::lock_guard lock(mutex_);
  return capabilities_.contains(capability) && !capabilities_[capability].is_null();
}

void ClientSession::set_log_level(LogLevel level) {
  std::lock_guard lock(mutex_);
  log_level_ = level;
}

bool ClientSession::logs_at(LogLevel level) const {
  std::lock_guard lock(mutex_);
  return level >= log_level_;
}

void ClientSession::set_roots(std::vector<std::string> root_uris) {
  std::lock_guard lock(mutex_);
  roots_ = std::move(root_uris);
}

std::vector<std::string> ClientSession::roots() const {
  std::lock_guard lock(mutex_);
  return roots_;
}

bool ClientSession::subscribe(const std::string& uri) {
  std::lock_guard lock(mutex_);
  if (subscriptions_.size() >= kMaxSubscriptions && !subscriptions_.count(uri)) return false;
  subscriptions_.insert(uri);
  return true;
}

void ClientSession::unsubscribe(const std::string& uri) {
  std::lock_guard lock(mutex_);
  subscriptions_.erase(uri);
}

std::set<std::string> ClientSession::subscriptions() const {
  std::lock_guard lock(mutex_);
  return subscriptions_;
}

bool ClientSession::subscribed(const std::string& uri) const {
  std::lock_guard lock(mutex_);
  return subscriptions_.count(uri) > 0;
}

}  // namespace parhelia::server
