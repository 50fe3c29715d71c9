// Argument completion (completion/complete): a completer proposes values for one argument of a
// prompt or a resource template, given what was typed so far and the other arguments.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "server/jsonrpc.h"

namespace parhelia::server {

using CompletionContext = std::map<std::string, std::string>;
using Completer = std::function<std::vector<std::string>(const std::string& prefix,
                                                         const CompletionContext& context)>;

// The values that start with prefix, in order.
std::vector<std::string> starting_with(const std::vector<std::string>& values,
                                       const std::string& prefix);

// MCP's answer shape: at most 100 values, with the total and whether more exist.
json completion_result(const std::vector<std::string>& values);

}  // namespace parhelia::server
