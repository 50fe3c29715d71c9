// What a checkpoint left out of what the session wrote (a link, a special file, a file over a
// size cap), and why: told in the session's events, so that nothing is missing unsaid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parhelia::core {

struct LeftOut {
  std::string path;  // as the session named it, e.g. "transcript/a.jsonl" or "data/big.bin"
  std::string why;   // a phrase: "a link, not a file", "2.0 GiB, over the 256 MiB cap"
};

// "5.0 GiB", "256 MiB", "12 KiB", "300 bytes".
std::string size_words(std::uint64_t bytes);

// One sentence for the events: the first few, then how many more.
std::string left_out_sentence(const std::vector<LeftOut>& left_out);

}  // namespace parhelia::core
