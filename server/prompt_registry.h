// The prompts this server offers (Claude Code shows them as /mcp__parhelia__<name>). A prompt
// takes string arguments and produces messages. Read-only after registration.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "server/completion.h"
#include "server/protocol_version.h"

namespace parhelia::server {

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = false;
  Completer complete;  // may be empty
};

struct PromptSpec {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
};

struct PromptMessages {
  std::string description;
  json messages;  // [{role, content}]
};

class PromptRegistry {
 public:
  using Arguments = std::map<std::string, std::string>;
  // Returns the messages, or a sentence saying which argument is wrong and why.
  using Handler =
      std::function<std::variant<PromptMessages, std::string>(const Arguments& arguments)>;

  void add(PromptSpec spec, Handler handler);

  json list(const ProtocolVersion& version) const;
  RpcResult get(const json& params) const;
  std::optional<std::vector<std::string>> complete(const std::string& prompt,
                                                   const std::string& argument,
                                                   const std::string& prefix,
                                                   const CompletionContext& context) const;

 private:
  struct Entry {
    PromptSpec spec;
    Handler handler;
  };
  const Entry* find(const std::string& name) const;
  std::vector<Entry> entries_;
};

}  // namespace parhelia::server
