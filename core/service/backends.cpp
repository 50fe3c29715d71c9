#include "core/service/backends.h"

namespace parhelia::core {

Backends& Backends::add(std::unique_ptr<Backend> backend) {
  backends_.push_back(std::move(backend));
  return *this;
}

Backend* Backends::find(std::string_view name) const {
  for (const auto& backend : backends_) {
    if (backend->name() == name) return backend.get();
  }
  return nullptr;
}

Result<Backend*> Backends::get(std::string_view name) const {
  if (Backend* backend = find(name)) return backend;
  return Error{ErrorCode::invalid_input,
               "The " + std::string(name) + " backend is not available in this build.",
               "Use one of: " + listed() + " (the default is " + default_name() + ")."};
}

std::vector<std::string> Backends::names() const {
  std::vector<std::string> names;
  for (const auto& backend : backends_) names.emplace_back(backend->name());
  return names;
}

std::string Backends::listed() const {
  std::string known;
  for (const auto& backend : backends_)
    known += (known.empty() ? "" : ", ") + std::string(backend->name());
  return known;
}

std::string Backends::default_name() const {
  return backends_.empty() ? std::string() : std::string(backends_.front()->name());
}

}  // namespace parhelia::core
