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
  if (!pending_.empty() || discarded_ > 0) take({}, true, sink);
}

void LineSplitter::take(std::string_view piece, bool complete, LineSink& sink) {
  if (discarded_ == 0 && pending_.size() + piece.size() > max_line_bytes_) {
    discarded_ = pending_.size();
    pending_.clear();
    pending_.shrink_to_fit();
  }
  if (discarded_ > 0) {
    discarded_ += piece.size();
    if (complete) {
      sink.on_overflow(discarded_);
      discarded_ = 0;
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
