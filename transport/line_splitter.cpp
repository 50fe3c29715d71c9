#include "transport/line_splitter.h"

namespace parhelia::transport {

void LineSplitter::feed(std::string_view chunk, LineSink& sink) {
  while (!chunk.empty()) {
    const auto newline = chunk.find('\n');
    const bool complete = newline != std::string_view::npos;
    take(chunk.substr(0, complete ? newline : chunk.size()), complete, sink);
    chunk.remove_prefix(complete ? newline + 1 : chunk.size());
  }
}

void LineSplitter::finish(LineSink& sink) {
  if (!pending_.empty() || skipping_) take({}, true, sink);
}

void LineSplitter::take(std::string_view piece, bool complete, LineSink& sink) {
  // A flag of its own, not `discarded_ > 0`: a line whose first piece is already over the cap
  // has discarded nothing yet when skipping starts.
  if (!skipping_ && pending_.size() + piece.size() > max_line_bytes_) {
    skipping_ = true;
    discarded_ = pending_.size();
    pending_.clear();
    pending_.shrink_to_fit();
  }
  if (skipping_) {
    discarded_ += piece.size();
    if (complete) {
      sink.on_overflow(discarded_);
      discarded_ = 0;
      skipping_ = false;
    }
    return;
  }
  if (!complete) {
    pending_.append(piece);
    return;
  }
  if (pending_.empty()) {
    sink.on_line(piece);
  } else {
    pending_.append(piece);
    sink.on_line(pending_);
    pending_.clear();
  }
}

}  // namespace parhelia::transport
