#include "server/toolset.h"

#include <algorithm>

namespace parhelia::server {

void Toolset::resource_updated(const std::string& uri) {
  std::lock_guard lock(attached_mutex_);
  for (const auto& [client, channel] : attached_) {
    if (client->subscribed(uri)) channel->notify("notifications/resources/updated", {{"uri", uri}});
  }
}

void Toolset::log(LogLevel level, const std::string& logger, const std::string& message) {
  std::lock_guard lock(attached_mutex_);
  for (const auto& [client, channel] : attached_) {
    if (client->initialized() && client->logs_at(level)) {
      channel->notify("notifications/message",
                      {{"level", to_string(level)}, {"logger", logger}, {"data", message}});
    }
  }
}

std::set<std::string> Toolset::subscriptions() const {
  std::lock_guard lock(attached_mutex_);
  std::set<std::string> all;
  for (const auto& attached : attached_) all.merge(attached.client->subscriptions());
  return all;
}

void Toolset::attach(const ClientSession& client, ClientChannel& channel) {
  std::lock_guard lock(attached_mutex_);
  attached_.push_back({&client, &channel});
}

void Toolset::detach(const ClientSession& client) {
  std::lock_guard lock(attached_mutex_);
  std::erase_if(attached_, [&client](const Attached& a) { return a.client == &client; });
}

}  // namespace parhelia::server
