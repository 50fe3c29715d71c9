// What an MCP server offers, built once in a process and shared by every client session that
// serves it (one McpServer each): the tools, resources and prompts, the text of their fixed
// lists, and the sessions attached now, so that news of a resource reaches each client that
// subscribed to it and no other.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/call_context.h"
#include "server/client_session.h"
#include "server/prompt_registry.h"
#include "server/resource_registry.h"
#include "server/tool_registry.h"

namespace parhelia::server {

class Toolset {
 public:
  Toolset() = default;
  Toolset(const Toolset&) = delete;
  Toolset& operator=(const Toolset&) = delete;

  // Filled before any session serves; read-only afterwards.
  ToolRegistry& tools() { return tools_; }
  ResourceRegistry& resources() { return resources_; }
  PromptRegistry& prompts() { return prompts_; }
  const ToolRegistry& tools() const { return tools_; }
  const ResourceRegistry& resources() const { return resources_; }
  const PromptRegistry& prompts() const { return prompts_; }

  // The alerts a call's answer carries come from a source of each client's own, made by
  // `make` when its session starts: an alert one client was shown is news still to another.
  void set_alert_sources(std::function<AlertSource()> make) {
    make_alert_source_ = std::move(make);
  }
  AlertSource alert_source_for_new_client() const {
    return make_alert_source_ ? make_alert_source_() : AlertSource{};
  }

  // Tells each attached client that subscribed to `uri` that the resource changed.
  void resource_updated(const std::string& uri);
  // A log line for each attached client whose level lets it through.
  void log(LogLevel level, const std::string& logger, const std::string& message);
  // Every URI that some attached client is subscribed to.
  std::set<std::string> subscriptions() const;

  // A session serving this toolset, for as long as it serves: McpServer attaches its client
  // and its way back to it when made and detaches them before it goes.
  void attach(const ClientSession& client, ClientChannel& channel);
  void detach(const ClientSession& client);

  // The text of one page of a fixed list (tools/list), written once by `write` and kept.
  struct FixedList {
    std::optional<std::size_t> size;
    std::map<std::size_t, std::shared_ptr<const std::string>> pages;  // by first item
  };
  // The list by method, protocol version and page size, under its lock.
  template <class Use>
  auto with_fixed_list(const std::string& key, Use use) {
    std::lock_guard lock(fixed_lists_mutex_);
    return use(fixed_lists_[key]);
  }

 private:
  struct Attached {
    const ClientSession* client;
    ClientChannel* channel;
  };

  ToolRegistry tools_;
  ResourceRegistry resources_;
  PromptRegistry prompts_;
  std::function<AlertSource()> make_alert_source_;
  std::mutex fixed_lists_mutex_;
  std::map<std::string, FixedList> fixed_lists_;
  // Held while a notification goes out, so that a session cannot detach (and go) mid-send.
  mutable std::mutex attached_mutex_;
  std::vector<Attached> attached_;
};

}  // namespace parhelia::server
