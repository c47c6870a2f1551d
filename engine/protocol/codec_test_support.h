// What the codec tests of bundles and wire frames share: hex dumps for comparing
// bytes, and RapidCheck generators of any Change the codecs can carry (every value
// type but REAL, with and without bases). Test-only.
#pragma once

#include <rapidcheck.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "liaison/change.h"

namespace liaison::codec_testing {

inline std::string Hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

inline rc::Gen<Value> GenValue() {
  return rc::gen::oneOf(
      rc::gen::just(Value(std::monostate{})),
      rc::gen::map(rc::gen::arbitrary<std::int64_t>(), [](std::int64_t i) { return Value(i); }),
      rc::gen::map(rc::gen::arbitrary<std::string>(),
                   [](std::string s) { return Value(std::move(s)); }));
}

inline rc::Gen<Hlc> GenHlc() {
  return rc::gen::map(rc::gen::arbitrary<std::uint64_t>(), [](std::uint64_t v) { return Hlc(v); });
}

inline rc::Gen<ReplicaId> GenReplicaId() {
  return rc::gen::map(rc::gen::arbitrary<std::string>(),
                      [](std::string s) { return ReplicaId(std::move(s)); });
}

inline rc::Gen<Clock> GenClock() {
  return rc::gen::build<Clock>(rc::gen::set(&Clock::hlc, GenHlc()),
                               rc::gen::set(&Clock::origin, GenReplicaId()));
}

inline rc::Gen<Change> GenChange() {
  auto column = rc::gen::build<ColumnChange>(
      rc::gen::set(&ColumnChange::column), rc::gen::set(&ColumnChange::value, GenValue()),
      rc::gen::set(&ColumnChange::base, rc::gen::oneOf(rc::gen::just(std::optional<Clock>()),
                                                       rc::gen::map(GenClock(), [](Clock c) {
                                                         return std::optional<Clock>(std::move(c));
                                                       }))));
  return rc::gen::build<Change>(
      rc::gen::set(&Change::origin, GenReplicaId()),
      rc::gen::set(&Change::seq, rc::gen::map(rc::gen::arbitrary<std::int64_t>(),
                                              [](std::int64_t v) { return Seq(v); })),
      rc::gen::set(&Change::hlc, GenHlc()), rc::gen::set(&Change::table), rc::gen::set(&Change::pk),
      rc::gen::set(&Change::op,
                   rc::gen::element(ChangeOp::kInsert, ChangeOp::kUpdate, ChangeOp::kDelete)),
      rc::gen::set(&Change::epoch, GenClock()),
      rc::gen::set(&Change::values, rc::gen::container<std::vector<ColumnChange>>(column)));
}

}  // namespace liaison::codec_testing
