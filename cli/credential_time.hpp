// Expiry times as aster-cli 0.1.2 reads and prints them
// (aster-rpc@0972ac9:cli/aster_cli/enroll.py `_parse_expires`, trust.py `_sign_command`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aster/status.hpp"

namespace aster::cli {

// Seconds since the epoch, now.
int64_t unix_now();

// ISO 8601 as Python 3.11's datetime.fromisoformat takes it: `YYYY-MM-DD` or `YYYYMMDD`,
// optionally `T`/space and `HH[:MM[:SS[.ffffff]]]`, optionally `Z` or `±HH[:MM]`. A time
// without an offset is UTC (enroll.py does so; 0.1.2's `trust sign` would use local time).
Result<int64_t> parse_iso8601(std::string_view text);

// `enroll node -e`: "30d", "24h" (from now), or ISO 8601.
Result<int64_t> parse_expiry(std::string_view text, int64_t now);

// `datetime.fromtimestamp(t, tz=timezone.utc).isoformat()`: 2026-12-30T19:06:24+00:00.
std::string format_utc_iso8601(int64_t seconds);

}  // namespace aster::cli
