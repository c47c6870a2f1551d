#include "liaison/hlc.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace liaison
