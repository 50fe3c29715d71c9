// An answer's bytes as the message it must be: a server that sends something else gets a
// sentence, not a half-read message. Shared by the API's calls and the command router's.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "core/base/result.h"

namespace parhelia::modal {

template <class Message>
core::Result<Message> parse_answer(std::string_view method,
                                   const core::Result<std::string>& bytes) {
  if (!bytes) return bytes.error();
  Message message;
  if (!message.ParseFromString(bytes.value())) {
    return core::Error{
        core::ErrorCode::unavailable,
        fmt::format("Modal's answer to {} is not the message Parhelia expects.", method),
        "Modal's protocol may have changed: update Parhelia."};
  }
  return message;
}

}  // namespace parhelia::modal
