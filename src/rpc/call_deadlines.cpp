#include "call_deadlines.hpp"

#include <vector>

namespace aster::rpc {

CallDeadlines::Bound::Bound(CallDeadlines& owner, Clock::time_point end,
                            asio::cancellation_signal& signal)
    : owner_(&owner), end_(end), signal_(&signal) {
  owner_->link(*this);
}

CallDeadlines::Bound::~Bound() { owner_->unlink(*this); }

void CallDeadlines::link(Bound& b) {
  b.prev_ = tail_;
  b.next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = &b;
  } else {
    head_ = &b;
  }
  tail_ = &b;
  b.linked_ = true;
  if (!closed_ && (!armed_ || b.end_ < *armed_)) arm(b.end_);
}

void CallDeadlines::unlink(Bound& b) {
  if (!b.linked_) return;
  (b.prev_ != nullptr ? b.prev_->next_ : head_) = b.next_;
  (b.next_ != nullptr ? b.next_->prev_ : tail_) = b.prev_;
  b.prev_ = b.next_ = nullptr;
  b.linked_ = false;
  // The timer stays armed when the list empties: it fires once more, finds nothing and stops.
}

void CallDeadlines::arm(Clock::time_point end) {
  armed_ = end;
  timer_.expires_at(end);  // a pending wait completes with operation_aborted
  timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec) return;  // re-armed (a newer wait is pending) or closed
    self->armed_.reset();
    self->expire();
  });
}

void CallDeadlines::expire() {
  if (closed_) return;
  const auto now = Clock::now();
  // Unlinked before any signal is emitted: an emission may resume a call that then ends and
  // destroys other bounds, so nothing here touches a bound after the first emit.
  std::vector<asio::cancellation_signal*> due;
  std::optional<Clock::time_point> next;
  for (Bound* b = head_; b != nullptr;) {
    Bound* following = b->next_;
    if (b->end_ <= now) {
      b->fired_ = true;
      due.push_back(b->signal_);
      unlink(*b);
    } else if (!next || b->end_ < *next) {
      next = b->end_;
    }
    b = following;
  }
  if (next) arm(*next);
  for (auto* signal : due) signal->emit(asio::cancellation_type::terminal);
}

void CallDeadlines::close() {
  closed_ = true;
  armed_.reset();
  timer_.cancel();
}

}  // namespace aster::rpc
