// Modal's gRPC outcomes as sentences a user can act on: which call, what Modal said, and what
// to do (a new token, a quota, a network to check). No sentence carries the token secret or
// the auth token: only the token id and where it came from.
#pragma once

#include <string>
#include <string_view>

#include "core/base/result.h"
#include "modal/credentials.h"
#include "modal/grpc/grpc_status.h"

namespace parhelia::modal {

// What the sentence may name about the caller: the endpoint and the credentials' origin.
struct ErrorContext {
  std::string_view method;      // "SandboxCreate"
  std::string_view server_url;  // "https://api.modal.com:443"
  const ModalCredentials* credentials = nullptr;
};

core::Error modal_error(const GrpcStatus& status, const ErrorContext& context);

// Whether `error` is Modal's RESOURCE_EXHAUSTED (a quota, a rate limit, no capacity): the
// caller may name what it asked for (a GPU) and what to try instead.
bool is_quota_refusal(const core::Error& error);

// An answer that parses but lacks what the call must return ("sandbox_id").
core::Error missing_answer_field(std::string_view method, std::string_view field);

}  // namespace parhelia::modal
