// C++ mirrors of the Python types in tests/interop/py/fory_corpus.py (same tags, same field
// names and declaration order, same Python annotations).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aster/codec/declare.hpp"
#include "aster/wire/messages.hpp"

namespace corpus {

using aster::codec::Bytes;
using aster::codec::Fixed;
using aster::codec::Tagged;

enum class Color { kRed, kGreen, kBlue };
ASTER_ENUM(Color, "corpus.types/Color", ASTER_ENUMERATOR(kRed, "RED"),
           ASTER_ENUMERATOR(kGreen, "GREEN"), ASTER_ENUMERATOR(kBlue, "BLUE"))

struct Scalars {
  bool flag = false;
  int64_t count = 0;
  double ratio = 0;
  std::string text;
  Bytes blob;
};
ASTER_MESSAGE(Scalars, "corpus/Scalars", ASTER_FIELD(flag), ASTER_FIELD(count), ASTER_FIELD(ratio),
              ASTER_FIELD(text), ASTER_FIELD(blob))

struct IntWidths {
  int8_t i8 = 0;
  int16_t i16 = 0;
  int32_t i32 = 0;
  Fixed<int32_t> fi32;
  int64_t i64 = 0;
  Fixed<int64_t> fi64;
  Tagged<int64_t> ti64;
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  Fixed<uint32_t> fu32;
  uint64_t u64 = 0;
  Fixed<uint64_t> fu64;
  Tagged<uint64_t> tu64;
  float f32 = 0;
};
ASTER_MESSAGE(IntWidths, "corpus/IntWidths", ASTER_FIELD(i8), ASTER_FIELD(i16), ASTER_FIELD(i32),
              ASTER_FIELD(fi32), ASTER_FIELD(i64), ASTER_FIELD(fi64), ASTER_FIELD(ti64),
              ASTER_FIELD(u8), ASTER_FIELD(u16), ASTER_FIELD(u32), ASTER_FIELD(fu32),
              ASTER_FIELD(u64), ASTER_FIELD(fu64), ASTER_FIELD(tu64), ASTER_FIELD(f32))

struct Floats {
  double a = 0, b = 0, c = 0;
  float d = 0;
};
ASTER_MESSAGE(Floats, "corpus/Floats", ASTER_FIELD(a), ASTER_FIELD(b), ASTER_FIELD(c),
              ASTER_FIELD(d))

struct Texts {
  std::string latin, bmp, astral, mixed, empty;
};
ASTER_MESSAGE(Texts, "corpus/Texts", ASTER_FIELD(latin), ASTER_FIELD(bmp), ASTER_FIELD(astral),
              ASTER_FIELD(mixed), ASTER_FIELD(empty))

struct Inner {
  int64_t x = 0;
  std::string name;
};
ASTER_MESSAGE(Inner, "corpus/Inner", ASTER_FIELD(x), ASTER_FIELD(name))

struct Optionals {
  std::optional<int64_t> oi;
  std::optional<double> of;
  std::optional<bool> ob;
  std::optional<std::string> os;
  std::optional<Bytes> oby;
  std::optional<std::vector<std::string>> ol;
  std::optional<Inner> oinner;
  std::optional<Color> ocolor;
};
ASTER_MESSAGE(Optionals, "corpus/Optionals", ASTER_FIELD(oi), ASTER_FIELD(of), ASTER_FIELD(ob),
              ASTER_FIELD(os), ASTER_FIELD(oby), ASTER_FIELD(ol), ASTER_FIELD(oinner),
              ASTER_FIELD(ocolor))

// Python dicts keep insertion order; the corpus inserts keys so that std::map's order (sorted)
// matches, except `names` (int keys 1, -2) which is compared by value only.
struct Collections {
  std::vector<int64_t> ints;
  std::vector<std::string> strs;
  std::vector<double> floats;
  std::vector<Bytes> blobs;
  std::vector<std::optional<std::string>> maybe;
  std::set<int64_t> int_set;
  std::set<std::string> str_set;
  std::map<std::string, int64_t> counts;
  std::map<int64_t, std::string> names;
  std::map<std::string, std::optional<int64_t>> sparse;
  std::vector<std::vector<int64_t>> nested;
  std::map<std::string, std::vector<int64_t>> groups;
};
ASTER_MESSAGE(Collections, "corpus/Collections", ASTER_FIELD(ints), ASTER_FIELD(strs),
              ASTER_FIELD(floats), ASTER_FIELD(blobs), ASTER_FIELD(maybe), ASTER_FIELD(int_set),
              ASTER_FIELD(str_set), ASTER_FIELD(counts), ASTER_FIELD(names), ASTER_FIELD(sparse),
              ASTER_FIELD(nested), ASTER_FIELD(groups))

struct Outer {
  Inner inner;
  std::vector<Inner> inners;
  std::map<std::string, Inner> by_name;
  std::optional<Inner> opt;
  Inner second;
  Color color = Color::kRed;
  std::vector<Color> colors;
  std::string label;
};
ASTER_MESSAGE(Outer, "corpus/Outer", ASTER_FIELD(inner), ASTER_FIELD(inners), ASTER_FIELD(by_name),
              ASTER_FIELD(opt), ASTER_FIELD(second), ASTER_FIELD(color), ASTER_FIELD(colors),
              ASTER_FIELD(label))

struct Node {
  int64_t value = 0;
  std::vector<Node> children;
  std::unique_ptr<Node> next;
};
ASTER_MESSAGE(Node, "corpus/Node", ASTER_FIELD(value), ASTER_FIELD(children), ASTER_FIELD(next))

struct Times {
  aster::codec::Date day{};
  aster::codec::Timestamp at{};
};
ASTER_MESSAGE(Times, "corpus/Times", ASTER_FIELD(day), ASTER_FIELD(at))

struct Empty {};
ASTER_MESSAGE(Empty, "corpus/Empty")

struct LongNames {
  std::string some_field_name;
  int64_t another_field = 0;
};
ASTER_MESSAGE(LongNames, "examples.mission_control.types/LongNamespaceTypeName",
              ASTER_FIELD_AS(some_field_name, "someFieldName"),
              ASTER_FIELD_AS(another_field, "AnotherField"))

struct NoNsLeaf {
  int64_t v = 0;
};
ASTER_MESSAGE(NoNsLeaf, "NoNsLeaf", ASTER_FIELD(v))

struct NoNsRoot {
  NoNsLeaf leaf;
  Inner other;
};
ASTER_MESSAGE(NoNsRoot, "NoNsRoot", ASTER_FIELD(leaf), ASTER_FIELD(other))

struct Untyped {
  aster::Value items;  // Python `list` (no parameter)
  aster::Value attrs;  // Python `dict`
};
ASTER_MESSAGE(Untyped, "corpus/Untyped", ASTER_FIELD(items), ASTER_FIELD(attrs))

}  // namespace corpus
