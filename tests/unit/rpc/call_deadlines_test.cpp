// CallDeadlines (src/rpc/call_deadlines.hpp): the bounds of a connection's calls on one timer.
// The deadline cases of the RPC itself run through it in server_abuse_test.cpp and the interop
// matrix; these pin down its own rules: each bound fires at its own end whatever the order it
// arrived in, a bound ended in time never fires, and closing lets the object go.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "call_deadlines.hpp"

namespace aster::rpc {
namespace {

using namespace std::chrono_literals;
using Bound = CallDeadlines::Bound;

TEST(CallDeadlines, EachBoundFiresAtItsOwnEndWhateverTheOrderItArrivedIn) {
  asio::io_context io;
  auto deadlines = std::make_shared<CallDeadlines>(io.get_executor());
  asio::cancellation_signal late, early, never;
  std::vector<std::string> fired;
  late.slot().assign([&](asio::cancellation_type) { fired.push_back("late"); });
  early.slot().assign([&](asio::cancellation_type) { fired.push_back("early"); });
  never.slot().assign([&](asio::cancellation_type) { fired.push_back("never"); });
  const auto start = std::chrono::steady_clock::now();
  std::optional<Bound> a, b, c;
  a.emplace(*deadlines, start + 300ms, late);
  c.emplace(*deadlines, start + 60s, never);
  b.emplace(*deadlines, start + 50ms, early);  // earlier than the armed end: re-arms the timer
  io.run_for(150ms);
  EXPECT_EQ(fired, std::vector<std::string>{"early"});
  io.run_for(300ms);
  EXPECT_EQ(fired, (std::vector<std::string>{"early", "late"}));
  EXPECT_TRUE(a->fired());
  EXPECT_TRUE(b->fired());
  EXPECT_FALSE(c->fired());
  a.reset();
  b.reset();
  c.reset();
  deadlines->close();
  io.run();  // returns: the cancelled wait was the only work left
}

TEST(CallDeadlines, ABoundEndedInTimeNeverFires) {
  asio::io_context io;
  auto deadlines = std::make_shared<CallDeadlines>(io.get_executor());
  asio::cancellation_signal signal;
  int emitted = 0;
  signal.slot().assign([&](asio::cancellation_type) { ++emitted; });
  {
    Bound quick(*deadlines, std::chrono::steady_clock::now() + 30ms, signal);
    EXPECT_FALSE(quick.fired());
  }
  io.run_for(100ms);  // the timer fires once, finds nothing and stops
  EXPECT_EQ(emitted, 0);
  // A new bound arms it again.
  io.restart();  // run_for above ran out of work, which stops the io_context
  std::optional<Bound> next;
  next.emplace(*deadlines, std::chrono::steady_clock::now() + 30ms, signal);
  io.run_for(100ms);
  EXPECT_EQ(emitted, 1);
  EXPECT_TRUE(next->fired());
}

TEST(CallDeadlines, ClosingLetsTheObjectGoAndNoBoundFiresAfter) {
  asio::io_context io;
  auto deadlines = std::make_shared<CallDeadlines>(io.get_executor());
  std::weak_ptr<CallDeadlines> watch = deadlines;
  asio::cancellation_signal signal;
  int emitted = 0;
  signal.slot().assign([&](asio::cancellation_type) { ++emitted; });
  std::optional<Bound> pending;
  pending.emplace(*deadlines, std::chrono::steady_clock::now() + 20ms, signal);
  deadlines->close();
  io.run_for(100ms);
  EXPECT_EQ(emitted, 0);
  EXPECT_FALSE(pending->fired());
  pending.reset();
  deadlines.reset();
  io.restart();
  io.run();
  EXPECT_TRUE(watch.expired());  // the timer's wait no longer holds it
}

}  // namespace
}  // namespace aster::rpc
