#include "cli/output.h"

#include <iostream>

namespace parhelia::cli {

void print_json(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void print_error(const std::string& sentence) {
  std::cerr << "parhelia: " << sentence << "\n";
}

}  // namespace parhelia::cli
