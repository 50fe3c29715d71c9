#include "cli/output.h"

#include <iostream>

#include "cli/terminal_text.h"

namespace parhelia::cli {

void print_json(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void print_error(const std::string& sentence) {
  std::cerr << "parhelia: " << terminal_line(sentence) << "\n";
}

}  // namespace parhelia::cli
