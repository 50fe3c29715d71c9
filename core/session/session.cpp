#include "core/session/session.h"

#include <array>
#include <chrono>
#include <ctime>
#include <fstream>
#include <random>

namespace parhelia::core {
namespace {
constexpr std::array<std::string_view, 9> kStateNames = {"queued",    "provisioning", "running",
                                                         "succeeded", "failed",       "cancelled",
                                                         "timed_out", "over_budget",  "lost"};
}

std::string_view to_string(SessionState state) {
  return kStateNames[static_cast<std::size_t>(state)];
}

std::optional<SessionState> parse_session_state(std::string_view name) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == name) return static_cast<SessionState>(i);
  }
  return std::nullopt;
}

const std::vector<SessionState>& all_session_states() {
  static const std::vector<SessionState> states = {
      SessionState::queued,    SessionState::provisioning, SessionState::running,
      SessionState::succeeded, SessionState::failed,       SessionState::cancelled,
      SessionState::timed_out, SessionState::over_budget,  SessionState::lost};
  return states;
}

bool is_terminal(SessionState state) {
  return state != SessionState::queued && state != SessionState::provisioning &&
         state != SessionState::running;
}

bool can_transition(SessionState from, SessionState to) {
  using S = SessionState;
  if (is_terminal(from) || from == to) return false;
  if (to == S::failed || to == S::cancelled || to == S::lost) return true;
  switch (from) {
    case S::queued:
      return to == S::provisioning;
    case S::provisioning:
      return to == S::running;
    case S::running:
      return to == S::succeeded || to == S::timed_out || to == S::over_budget;
    default:
      return false;
  }
}

std::string new_session_id() {
  static thread_local std::mt19937 generator(std::random_device{}());
  std::uniform_int_distribution<std::uint32_t> digits;
  char text[16];
  std::snprintf(text, sizeof text, "%08x", digits(generator));
  return std::string("task-") + text;
}

bool is_session_id(std::string_view text) {
  if (text.size() != 13 || text.substr(0, 5) != "task-") return false;
  for (char c : text.substr(5)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string shorten(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

std::string iso_time(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace parhelia::core
