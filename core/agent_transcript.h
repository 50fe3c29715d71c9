// Where Claude Code keeps a conversation: $HOME/.claude/projects/<key>/<session id>.jsonl,
// where the key is the working directory with every character that is not an ASCII letter or
// digit replaced by '-'. `claude --resume ID` looks only under the key of its own working
// directory, so a resumed session's transcript is put back under the key of its new one.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace parhelia::core {

std::string claude_project_key(const std::string& working_directory);

std::filesystem::path transcript_dir(const std::filesystem::path& home,
                                     const std::filesystem::path& working_directory);

struct TranscriptFiles {
  // Paths relative to the transcript directory, and where each lies now.
  std::vector<std::pair<std::string, std::filesystem::path>> files;
  std::string sha256;  // of every name and content: equal digests, equal transcripts
};

// The files under a transcript directory (none when the agent has not begun).
TranscriptFiles read_transcript_dir(const std::filesystem::path& dir);

// Copies a live transcript directory to `destination`, each .jsonl cut after its last whole
// line (the agent may be writing one as it is copied).
Result<Done> copy_transcript(const std::filesystem::path& from,
                             const std::filesystem::path& destination);

}  // namespace parhelia::core
