// Where Claude Code keeps a conversation: $HOME/.claude/projects/<key>/<session id>.jsonl,
// where the key is the working directory with every character that is not an ASCII letter or
// digit replaced by '-'. `claude --resume ID` looks only under the key of its own working
// directory, so a resumed session's transcript is put back under the key of its new one.
//
// The session writes its HOME, so everything under it is hostile: a checkpoint copies regular
// files only, never through a link (each directory and file is opened under one already held,
// without following), and no more than a bounded amount.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/agent/agent_stream.h"
#include "core/base/left_out.h"
#include "core/base/result.h"

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

// What transcripts gained since they were last read: the final usage of each assistant
// message (Claude Code writes it after the response's message_delta, which the stream never
// shows), and the cost-state lines, in the order they were read.
struct TranscriptUsage {
  std::vector<MessageUsage> messages;
  std::vector<CostState> cost_states;
};

// How much of the transcripts a session's meter reads: at most `bytes_per_read` each time it
// looks (the rest comes the next time), `total_bytes` over the session, `files` of them,
// `depth` directories below projects/ (subagents write theirs one level below the session's).
struct TranscriptReadLimits {
  std::uint64_t bytes_per_read = std::uint64_t{8} << 20;
  std::uint64_t total_bytes = std::uint64_t{2} << 30;
  std::size_t files = 10000;
  int depth = 8;
};

// Follows every transcript (.jsonl) under $HOME/.claude/projects of the session whose HOME is
// `home`, under any project key: the meter must not depend on which working directory the
// agent saw. Each read takes only the bytes added since the last, whole lines only. The files
// are the session's: opened without following a link, read up to the limits, a line that is
// not JSON or too long skipped, and nothing thrown.
class TranscriptUsageReader {
 public:
  explicit TranscriptUsageReader(std::filesystem::path home, TranscriptReadLimits limits = {});

  // What was added since the last call; up to `bytes_per_read` of it, or all of it (within
  // `total_bytes`) when `whole`.
  TranscriptUsage read(bool whole = false);

 private:
  struct Followed {
    dev_t device = 0;
    ino_t inode = 0;
    std::uint64_t offset = 0;  // bytes read
    std::string partial;       // the line still being written
    bool overlong = false;     // that line is past kMaxAgentLineBytes: skipped to its end
  };
  void read_directory(int dir, const std::string& relative, int depth, TranscriptUsage& into,
                      std::uint64_t& budget);
  void read_file(int dir, const std::string& name, const std::string& relative,
                 TranscriptUsage& into, std::uint64_t& budget);
  void take_line(std::string_view line, TranscriptUsage& into);

  std::filesystem::path home_;
  TranscriptReadLimits limits_;
  std::map<std::string, Followed> files_;  // by path below projects/
  std::uint64_t total_read_ = 0;
  std::vector<char> buffer_;
};

}  // namespace parhelia::core
