// Text for the hub's log: every client-chosen byte that goes into a log line (a
// replica id, an office id, a refusal reason that echoes what the office sent, an
// exception's text) passes through LogEscaped, so that each line the hub writes is
// one line of valid UTF-8 with no control characters, whatever a client sent.
//
// Escapes (NET.md, "Log"): a byte that is not part of valid UTF-8 becomes \xNN; an
// ASCII control character (U+0000-U+001F, U+007F) becomes \xNN; a C1 control
// (U+0080-U+009F), a line or paragraph separator (U+2028, U+2029) and the
// invisible direction marks and overrides (U+200E, U+200F, U+202A-U+202E,
// U+2066-U+2069) become \u{XXXX}; a backslash becomes \\ and a double quote \",
// so that the escaping can be undone and a quoted field cannot be closed early.
// Everything else, Chinese included, is kept as is.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace liaison::net {

// `text` escaped as above.
std::string LogEscaped(std::string_view text);

// `text` escaped and inside double quotes: one log field (reason="...").
std::string LogQuoted(std::string_view text);

}  // namespace liaison::net
