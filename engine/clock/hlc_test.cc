#include "liaison/hlc.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <vector>

namespace liaison {
namespace {

TEST(Hlc, PacksMillisAndCounter) {
  Hlc h = Hlc::FromParts(1'700'000'000'123, 7);
  EXPECT_EQ(h.millis(), 1'700'000'000'123u);
  EXPECT_EQ(h.counter(), 7u);
  EXPECT_LT(Hlc::FromParts(5, 65535), Hlc::FromParts(6, 0));
}

TEST(Hlc, NextNeverGoesBackwardsWhenTheWallClockDoes) {
  Hlc last = NextHlc(Hlc(), Hlc(), 10'000);
  Hlc next = NextHlc(last, Hlc(), 9'000);  // the wall clock jumped back a second
  EXPECT_GT(next, last);
  EXPECT_EQ(next.millis(), 10'000u);
  EXPECT_EQ(next.counter(), 1u);
}

TEST(Hlc, NextPassesEveryReceivedClock) {
  Hlc received = Hlc::FromParts(50'000, 3);
  Hlc next = NextHlc(Hlc::FromParts(10'000, 0), received, 20'000);
  EXPECT_GT(next, received);
}

TEST(Hlc, NextIsTheWallClockWhenItIsAhead) {
  EXPECT_EQ(NextHlc(Hlc::FromParts(10'000, 9), Hlc::FromParts(9'000, 0), 12'000),
            Hlc::FromParts(12'000, 0));
}

TEST(Hlc, NextCountsWithinOneMillisecond) {
  Hlc h = NextHlc(Hlc(), Hlc(), 10'000);
  for (int i = 1; i <= 3; ++i) {
    h = NextHlc(h, Hlc(), 10'000);
    EXPECT_EQ(h, Hlc::FromParts(10'000, static_cast<std::uint64_t>(i)));
  }
}

TEST(Hlc, CounterOverflowCarriesIntoTheMilliseconds) {
  Hlc full = Hlc::FromParts(10'000, 0xFFFF);
  Hlc next = NextHlc(full, Hlc(), 10'000);
  EXPECT_GT(next, full);
  EXPECT_EQ(next, Hlc::FromParts(10'001, 0));
}

TEST(Hlc, ToStringShowsUtcTimeAndCounter) {
  EXPECT_EQ(Hlc::FromParts(1'790'000'000'123, 5).ToString(), "2026-09-21T14:13:20.123Z#5");
}

RC_GTEST_PROP(HlcProperty, StrictlyIncreasingWhateverTheWallClockDoes,
              (const std::vector<std::uint32_t>& steps)) {
  // The wall clock wanders: each step moves it somewhere within an hour of the start,
  // backwards as often as forwards; received clocks arrive now and then.
  const std::uint64_t base = 1'790'000'000'000;
  Hlc last, received;
  for (std::uint32_t step : steps) {
    const std::uint64_t wall = base + step % 3'600'000;
    if (step % 7 == 0) received = Hlc::FromParts(base + step % 7'200'000, step % 65'536);
    const Hlc next = NextHlc(last, received, wall);
    RC_ASSERT(next > last);
    RC_ASSERT(next > received);
    RC_ASSERT(next.millis() >= wall);
    last = next;
  }
}

}  // namespace
}  // namespace liaison
