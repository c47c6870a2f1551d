// The hub's frame-memory budget (net/frame_io.h): a reader past it waits until bytes
// are given back, or until its deadline.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "net/frame_io.h"

namespace liaison::net {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST(NetFrameBudget, AReaderPastTheBudgetWaitsForBytesGivenBack) {
  asio::io_context io;
  FrameBudget budget(100);
  std::vector<std::string> events;
  auto take = [&](std::string name, std::uint64_t bytes,
                  milliseconds wait) -> asio::awaitable<void> {
    bool ok = co_await budget.Take(bytes, SteadyClock::now() + wait);
    events.push_back(name + (ok ? " took" : " gave up"));
  };
  auto give_later = [&](std::uint64_t bytes, milliseconds after) -> asio::awaitable<void> {
    asio::steady_timer timer(io, after);
    co_await timer.async_wait(kAsTuple);
    events.push_back("gave " + std::to_string(bytes));
    budget.Give(bytes);
  };
  asio::co_spawn(io, take("a", 80, milliseconds(10)), asio::detached);
  asio::co_spawn(io, take("b", 50, milliseconds(2000)), asio::detached);
  asio::co_spawn(io, take("c", 50, milliseconds(50)), asio::detached);
  asio::co_spawn(io, take("huge", 101, milliseconds(2000)), asio::detached);
  asio::co_spawn(io, give_later(80, milliseconds(300)), asio::detached);
  const auto started = SteadyClock::now();
  io.run();
  EXPECT_LT(SteadyClock::now() - started, milliseconds(1500));
  EXPECT_EQ(events,
            (std::vector<std::string>{"a took", "huge gave up", "c gave up", "gave 80", "b took"}));
  EXPECT_EQ(budget.in_use(), 50u);
}

}  // namespace
}  // namespace liaison::net
