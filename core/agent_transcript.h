// Where Claude Code keeps a conversation: $HOME/.claude/projects/<key>/<session id>.jsonl,
// where the key is the working directory with every character that is not an ASCII letter or
// digit replaced by '-'. `claude --resume ID` looks only under the key of its own working
// directory, so a resumed session's transcript is put back under the key of its new one.
//
// The session writes its HOME, so everything under it is hostile: a checkpoint copies regular
// files only, never through a link (each directory and file is opened under one already held,
// without following), and no more than a bounded amount.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/left_out.h"
#include "core/result.h"

namespace parhelia::core {

std::string claude_project_key(const std::string& working_directory);

std::filesystem::path transcript_dir(const std::filesystem::path& home,
                                     const std::filesystem::path& working_directory);

// How much of a transcript one checkpoint copies: a file over `file_bytes` is left out, and so
// is each file that would take the whole past `total_bytes`.
struct TranscriptLimits {
  std::uint64_t file_bytes = std::uint64_t{256} << 20;
  std::uint64_t total_bytes = std::uint64_t{512} << 20;
  std::size_t files = 10000;
  int depth = 8;  // directories below the transcript directory
};

struct TranscriptFiles {
  // Paths relative to the transcript directory, and where each lies now.
  std::vector<std::pair<std::string, std::filesystem::path>> files;
  std::string sha256;             // of every name and content: equal digests, equal transcripts
  std::vector<LeftOut> left_out;  // named "transcript/<path>"
};

// Copies the live transcript of the session whose HOME is `home` and working directory
// `working_directory` to `destination` (a directory Parhelia owns, created here), each .jsonl
// cut after its last whole line (the agent may be writing one as it is copied). Nothing at all
// when the agent has not begun.
Result<TranscriptFiles> copy_transcript(const std::filesystem::path& home,
                                        const std::filesystem::path& working_directory,
                                        const std::filesystem::path& destination,
                                        const TranscriptLimits& limits = {});

}  // namespace parhelia::core
