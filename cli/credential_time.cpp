#include "credential_time.hpp"

#include <fmt/core.h>

#include <charconv>
#include <chrono>

namespace aster::cli {
namespace {

Status bad_time(std::string_view text) {
  return Status(StatusCode::kInvalidArgument,
                "cannot parse expiry '" + std::string(text) + "'. Use '30d', '24h', or ISO 8601.");
}

// Exactly `width` digits at `pos`.
bool read_digits(std::string_view text, size_t& pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  pos += width;
  return true;
}

}  // namespace

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<int64_t> parse_iso8601(std::string_view text) {
  using namespace std::chrono;
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!read_digits(text, pos, 4, y)) return bad_time(text);
  const bool extended = pos < text.size() && text[pos] == '-';
  if (extended) ++pos;
  if (!read_digits(text, pos, 2, mo)) return bad_time(text);
  if (extended && (pos >= text.size() || text[pos++] != '-')) return bad_time(text);
  if (!read_digits(text, pos, 2, d)) return bad_time(text);
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return bad_time(text);
  int64_t offset = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != ' ') return bad_time(text);
    ++pos;
    if (!read_digits(text, pos, 2, h)) return bad_time(text);
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!read_digits(text, pos, 2, mi)) return bad_time(text);
      if (pos < text.size() && text[pos] == ':') {
        ++pos;
        if (!read_digits(text, pos, 2, s)) return bad_time(text);
        if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
          ++pos;
          size_t digits = 0;
          while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos, ++digits;
          if (digits == 0 || digits > 6) return bad_time(text);  // fractions are dropped
        }
      }
    }
    if (h > 23 || mi > 59 || s > 59) return bad_time(text);
    if (pos < text.size()) {
      if (text[pos] == 'Z' && pos + 1 == text.size()) {
        ++pos;
      } else if (text[pos] == '+' || text[pos] == '-') {
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        int oh = 0, om = 0;
        if (!read_digits(text, pos, 2, oh)) return bad_time(text);
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (pos < text.size() && !read_digits(text, pos, 2, om)) return bad_time(text);
        if (oh > 23 || om > 59) return bad_time(text);
        offset = sign * (oh * 3600 + om * 60);
      }
    }
  }
  if (pos != text.size()) return bad_time(text);
  const int64_t days = sys_days(date).time_since_epoch().count();
  return days * 86400 + h * 3600 + mi * 60 + s - offset;
}

Result<int64_t> parse_expiry(std::string_view text, int64_t now) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (!text.empty() && (text.back() == 'd' || text.back() == 'h')) {
    const int64_t unit = text.back() == 'd' ? 86400 : 3600;
    std::string_view number = text.substr(0, text.size() - 1);
    if (!number.empty() && number.front() == '+') number.remove_prefix(1);
    int64_t count = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
    if (ec != std::errc() || end != number.data() + number.size() || number.empty() ||
        count > 1'000'000'000 / 3 || count < -1'000'000'000 / 3) {
      return bad_time(text);
    }
    return now + count * unit;
  }
  return parse_iso8601(text);
}

std::string format_utc_iso8601(int64_t seconds) {
  using namespace std::chrono;
  const sys_seconds tp{std::chrono::seconds{seconds}};
  const auto day_point = floor<days>(tp);
  const year_month_day date{day_point};
  const hh_mm_ss time{tp - day_point};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

}  // namespace aster::cli
