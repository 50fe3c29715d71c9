// The backends a session service dispatches to, by name: built once at the composition root
// (cli/, or a test's own) and handed to the service, which owns them from then on.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/service/backend.h"

namespace parhelia::core {

class Backends {
 public:
  // Adds a backend under its name(); the first added is the default.
  Backends& add(std::unique_ptr<Backend> backend);
  // The backend of that name, or null.
  Backend* find(std::string_view name) const;
  // The backend of that name, or an error that names the ones there are.
  Result<Backend*> get(std::string_view name) const;
  std::vector<std::string> names() const;
  // Their names for a sentence: "local, modal".
  std::string listed() const;
  // Every backend, the default first.
  const std::vector<std::unique_ptr<Backend>>& all() const { return backends_; }
  std::string default_name() const;

 private:
  std::vector<std::unique_ptr<Backend>> backends_;
};

}  // namespace parhelia::core
