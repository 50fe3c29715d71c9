// When a failed call is tried again: jittered exponential backoff for UNAVAILABLE and a lost
// connection, a longer one for RESOURCE_EXHAUSTED (a rate limit wants the caller to slow down),
// never for an answer that would only repeat (UNAUTHENTICATED, NOT_FOUND, ...), and only for a
// call that is safe to repeat.
#pragma once

#include <chrono>
#include <optional>

#include "modal/grpc/grpc_status.h"

namespace parhelia::modal {

// Whether doing a call twice is the same as doing it once (a read, a get-or-create, a write at
// an offset, a terminate); a create without a name is not.
enum class Repeat { safe, unsafe };

struct RetrySchedule {
  int max_attempts = 4;  // as Modal's Go client: the first try and three retries
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{1000};
  std::chrono::milliseconds throttled_base_delay{1000};  // RESOURCE_EXHAUSTED
  std::chrono::milliseconds throttled_max_delay{8000};

  // The wait before attempt `attempt + 1` after `status`, or nothing when it must not be retried.
  std::optional<std::chrono::milliseconds> delay_after(const GrpcStatus& status, int attempt,
                                                       Repeat repeat) const;
};

// Whether the status is one a retry can cure (the server did not decide the call's outcome).
bool is_transient(const GrpcStatus& status);

}  // namespace parhelia::modal
