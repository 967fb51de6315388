// Scalar C++ types with a Python meaning of their own (pyfory 0.16.0 python/pyfory/types.py
// `TypeId`, registry.py `_initialize_common`): bytes, fixed-width and tagged integers, date and
// timestamp.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

namespace aster::codec {

// Python `bytes`. A distinct type so that std::vector<uint8_t> can stay list[uint8].
struct Bytes : std::vector<uint8_t> {
  using std::vector<uint8_t>::vector;
  Bytes() = default;
  explicit Bytes(std::string_view s) : std::vector<uint8_t>(s.begin(), s.end()) {}
  std::string_view view() const {
    return {reinterpret_cast<const char*>(data()), size()};
  }
};

// Integer encodings other than pyfory's default for the width (pyfory types.py `TypeId`).
template <typename T>
struct Fixed {
  static_assert(std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t> ||
                std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>);
  T value{};
  constexpr Fixed() = default;
  constexpr Fixed(T v) : value(v) {}  // NOLINT: implicit by design
  constexpr operator T() const { return value; }  // NOLINT
  friend constexpr bool operator==(Fixed, Fixed) = default;
  friend constexpr auto operator<=>(Fixed, Fixed) = default;
};
template <typename T>
struct Tagged {
  static_assert(std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>);
  T value{};
  constexpr Tagged() = default;
  constexpr Tagged(T v) : value(v) {}  // NOLINT
  constexpr operator T() const { return value; }  // NOLINT
  friend constexpr bool operator==(Tagged, Tagged) = default;
  friend constexpr auto operator<=>(Tagged, Tagged) = default;
};

// datetime.date: days since 1970-01-01 (int32 on the wire).
using Date = std::chrono::sys_days;
// datetime.datetime: pyfory carries microsecond precision (seconds + nanos on the wire).
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

}  // namespace aster::codec
