// `--timeout SECONDS`: a finite number in a sane range, checked on the text before CLI11
// converts it (CLI11's PositiveNumber lets `nan` through, and `1e300` s does not fit in
// milliseconds), and converted with saturation.
#pragma once

#include <chrono>
#include <string_view>

#include <CLI/CLI.hpp>

#include "aster/status.hpp"

namespace aster::cli {

inline constexpr double kMinTimeoutSeconds = 0.001;
inline constexpr double kMaxTimeoutSeconds = 86'400;  // a day

// Seconds in [min_seconds, max_seconds] as decimal text ("10", "0.5", "2e1"); kInvalidArgument
// naming the accepted range otherwise (NaN, infinities, hex, trailing junk, out of range).
Result<double> parse_seconds(std::string_view text, double min_seconds = kMinTimeoutSeconds,
                             double max_seconds = kMaxTimeoutSeconds);

// A CLI11 check running parse_seconds (its failure is a usage error, exit 2).
CLI::Validator seconds_in_range(double min_seconds = kMinTimeoutSeconds,
                                double max_seconds = kMaxTimeoutSeconds);

// Rounds to whole milliseconds, saturating at the int64 range; NaN gives 0.
std::chrono::milliseconds saturating_milliseconds(double seconds);

}  // namespace aster::cli
