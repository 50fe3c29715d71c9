#include "modal/api/retry_schedule.h"

#include <algorithm>
#include <random>

namespace parhelia::modal {

bool is_transient(const GrpcStatus& status) {
  switch (status.transport) {
    case TransportFailure::resolve:
    case TransportFailure::connect:
    case TransportFailure::connection_lost:
      return true;
    case TransportFailure::tls:
    case TransportFailure::not_grpc:
    case TransportFailure::other:
      return false;
    case TransportFailure::none:
      break;
  }
  return status.code == GrpcCode::unavailable || status.code == GrpcCode::resource_exhausted;
}

std::optional<std::chrono::milliseconds> RetrySchedule::delay_after(const GrpcStatus& status,
                                                                    int attempt,
                                                                    Repeat repeat) const {
  if (repeat != Repeat::safe || attempt >= max_attempts || !is_transient(status)) {
    return std::nullopt;
  }
  const bool throttled =
      status.code == GrpcCode::resource_exhausted && status.transport == TransportFailure::none;
  const auto base = throttled ? throttled_base_delay : base_delay;
  const auto ceiling = throttled ? throttled_max_delay : max_delay;
  const auto exponential = base * (1LL << std::min(attempt - 1, 16));
  const auto capped = std::min<std::chrono::milliseconds>(exponential, ceiling);
  // Full jitter over the upper half: clients that failed together do not retry together.
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<long long> spread(capped.count() / 2, capped.count());
  return std::chrono::milliseconds(spread(random));
}

}  // namespace parhelia::modal
