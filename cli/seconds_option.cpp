#include "seconds_option.hpp"

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace aster::cli {

Result<double> parse_seconds(std::string_view text, double min_seconds, double max_seconds) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
      value < min_seconds || value > max_seconds) {
    const std::string shown =
        text.size() > 24 ? std::string(text.substr(0, 24)) + "…" : std::string(text);
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("expected a number of seconds from {} to {}, got '{}'",
                              min_seconds, max_seconds, shown));
  }
  return value;
}

CLI::Validator seconds_in_range(double min_seconds, double max_seconds) {
  return CLI::Validator(
      [min_seconds, max_seconds](std::string& text) -> std::string {
        auto seconds = parse_seconds(text, min_seconds, max_seconds);
        return seconds ? std::string() : seconds.status().message();
      },
      "");
}

std::chrono::milliseconds saturating_milliseconds(double seconds) {
  using Rep = std::chrono::milliseconds::rep;
  if (std::isnan(seconds)) return std::chrono::milliseconds(0);
  const double ms = std::round(seconds * 1000.0);
  // 2^63 is exactly representable as a double; anything at or above it saturates.
  constexpr double kLimit = 9223372036854775808.0;
  if (ms >= kLimit) return std::chrono::milliseconds(std::numeric_limits<Rep>::max());
  if (ms < -kLimit) return std::chrono::milliseconds(std::numeric_limits<Rep>::min());
  return std::chrono::milliseconds(static_cast<Rep>(ms));
}

}  // namespace aster::cli
