#include "modal/api/modal_errors.h"

#include <fmt/format.h>

namespace parhelia::modal {
namespace {

// How a RESOURCE_EXHAUSTED refusal reads (is_quota_refusal knows it by these words).
constexpr std::string_view kQuotaWords = " for a quota, a rate limit or capacity";

std::string host_of(std::string_view url) {
  std::string_view rest = url;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos)
    rest.remove_prefix(scheme + 3);
  return std::string(rest.substr(0, rest.find('/')));
}

std::string token_origin(const ModalCredentials* credentials) {
  if (!credentials) return "the Modal token";
  switch (credentials->source) {
    case CredentialSource::environment:
      return fmt::format("the token {} from MODAL_TOKEN_ID/MODAL_TOKEN_SECRET",
                         credentials->token_id);
    case CredentialSource::config_file:
      return fmt::format(
          "the token {} from {}{}", credentials->token_id, credentials->config_path.string(),
          credentials->profile.empty() ? std::string()
                                       : fmt::format(" profile {}", credentials->profile));
    case CredentialSource::none:
      break;
  }
  return "the Modal token";
}

// Modal's own words, when it sent any, after ours.
std::string said(const GrpcStatus& status) {
  return status.message.empty() ? std::string() : fmt::format(" (Modal said: {})", status.message);
}

}  // namespace

bool is_quota_refusal(const core::Error& error) {
  return error.message.starts_with("Modal refused ") &&
         error.message.find(kQuotaWords) != std::string::npos;
}

core::Error modal_error(const GrpcStatus& status, const ErrorContext& context) {
  using core::ErrorCode;
  const std::string host = host_of(context.server_url);
  switch (status.transport) {
    case TransportFailure::resolve:
      return {ErrorCode::unavailable,
              fmt::format("Cannot reach {}: its name does not resolve ({}).", host, status.message),
              "Check this machine's network and DNS, or MODAL_SERVER_URL."};
    case TransportFailure::connect:
      return {ErrorCode::unavailable,
              fmt::format("Cannot reach {}: the connection was refused or timed out ({}).", host,
                          status.message),
              "Check this machine's network (a proxy or firewall?), then try again."};
    case TransportFailure::tls:
      return {ErrorCode::unavailable,
              fmt::format("Cannot reach {}: the TLS handshake failed ({}).", host, status.message),
              "A proxy that intercepts TLS needs its CA in the system store; otherwise check "
              "MODAL_SERVER_URL."};
    case TransportFailure::not_grpc:
      return {ErrorCode::unavailable,
              fmt::format("{} is not Modal's API: {}.", host, status.message),
              "Check MODAL_SERVER_URL (unset it for https://api.modal.com)."};
    case TransportFailure::connection_lost:
      return {ErrorCode::unavailable,
              fmt::format("The connection to {} was lost during {} ({}).", host, context.method,
                          status.message),
              "Try again; Parhelia already retried what was safe to repeat."};
    case TransportFailure::other:
      return {ErrorCode::unavailable,
              fmt::format("The call {} to {} failed: {}.", context.method, host, status.message),
              "Try again."};
    case TransportFailure::none:
      break;
  }
  switch (status.code) {
    case GrpcCode::ok:
      return {ErrorCode::internal, "modal_error was asked about a call that succeeded.", ""};
    case GrpcCode::unauthenticated:
      return {ErrorCode::invalid_input,
              fmt::format("Modal refused {}{}.", token_origin(context.credentials), said(status)),
              "Run `modal token new`, or set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET."};
    case GrpcCode::permission_denied:
      return {ErrorCode::invalid_input,
              fmt::format("Modal did not allow {} with {}{}.", context.method,
                          token_origin(context.credentials), said(status)),
              "Check the workspace and environment the token belongs to (MODAL_ENVIRONMENT), "
              "or use a token with access."};
    case GrpcCode::not_found:
      return {ErrorCode::not_found,
              fmt::format("Modal found nothing for {}{}.", context.method, said(status)),
              "Check the name or id; a finished sandbox may have been cleaned up."};
    case GrpcCode::already_exists:
      return {ErrorCode::conflict,
              fmt::format("Modal says it already exists ({}){}.", context.method, said(status)),
              "Pick another name, or stop the one that exists."};
    case GrpcCode::resource_exhausted:
      return {ErrorCode::unavailable,
              fmt::format("Modal refused {}{}{}.", context.method, kQuotaWords, said(status)),
              "Wait for running sandboxes to end, ask for fewer GPUs, or raise the workspace's "
              "limit in Modal's settings."};
    case GrpcCode::deadline_exceeded:
      return {ErrorCode::unavailable,
              fmt::format("{} did not answer {} in time{}.", host, context.method, said(status)),
              "Try again; if it keeps happening, check status.modal.com and this network."};
    case GrpcCode::unavailable:
      return {ErrorCode::unavailable,
              fmt::format("Modal is unavailable for {}{}.", context.method, said(status)),
              "Try again in a minute; check status.modal.com."};
    case GrpcCode::invalid_argument:
    case GrpcCode::failed_precondition:
    case GrpcCode::out_of_range:
      return {ErrorCode::invalid_input,
              fmt::format("Modal refused the {} request{}.", context.method, said(status)),
              "Change what was asked for as the message says."};
    case GrpcCode::unimplemented:
      return {ErrorCode::unavailable,
              fmt::format("Modal's API does not offer {}{}.", context.method, said(status)),
              "This Parhelia speaks a Modal protocol the server no longer has: update Parhelia."};
    case GrpcCode::cancelled:
      return {ErrorCode::unavailable, fmt::format("{} was cancelled.", context.method), ""};
    default:
      return {ErrorCode::unavailable,
              fmt::format("Modal failed {} with {}{}.", context.method, grpc_code_name(status.code),
                          said(status)),
              "Try again; if it keeps failing, check status.modal.com."};
  }
}

core::Error missing_answer_field(std::string_view method, std::string_view field) {
  return {core::ErrorCode::unavailable,
          fmt::format("Modal's answer to {} lacks {}, which Parhelia needs.", method, field),
          "Modal's protocol may have changed: update Parhelia."};
}

}  // namespace parhelia::modal
