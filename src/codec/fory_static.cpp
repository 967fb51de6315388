// Non-template parts of the static codec (detail/declare_impl.hpp, fory.hpp).
#include <cstring>
#include <mutex>

#include "aster/codec/fory.hpp"

namespace aster::codec {
namespace detail {

std::recursive_mutex& desc_mutex() {
  static std::recursive_mutex m;
  return m;
}

Status value_kind_error(const Value& v, std::string_view expected) {
  static constexpr const char* kNames[] = {"null", "bool",  "int",  "int",    "float",
                                           "string", "bytes", "list", "map", "struct"};
  return Status(StatusCode::kInvalidArgument,
                std::string("expected ") + std::string(expected) + ", got " +
                    kNames[static_cast<int>(v.kind())]);
}

Status writer_status(const ForyWriter& w) {
  if (w.ok()) return {};
  return Status(StatusCode::kInvalidArgument, "fory encode: " + w.error());
}

Status reader_status(const ForyReader& r, std::span<const uint8_t> data) {
  if (r.ok()) return {};
  return Status(StatusCode::kInvalidArgument, "fory decode: " + r.error());
}

bool read_root_prefix(ForyReader& r) {
  uint8_t header = r.get_u8();
  if (!r.ok()) return false;
  if (header & 0x04) {
    r.fail("out-of-band buffers (header bit 2) are not supported");
    return false;
  }
  if (header & ~0x07) {
    r.fail("unknown header bits 0x" + std::to_string(header));
    return false;
  }
  // pyfory 0.16 does not check bit 1 (xlang) on read (python/pyfory/serialization.pyx); nor do we.
  if (header & 0x01) {  // None root: pyfory writes 03 fd (and its reader stops at the header)
    if (r.remaining() > 0 && r.peek_u8() == kNullFlag) r.skip(1);
    return false;
  }
  return read_presence_flag(r);
}

void write_timestamp_micros(ForyWriter& w, int64_t micros) {
  int64_t seconds = micros / 1'000'000;
  int64_t rem = micros % 1'000'000;
  if (rem < 0) {  // Python divmod floors
    rem += 1'000'000;
    --seconds;
  }
  w.put_fixed<int64_t>(seconds);
  w.put_fixed<uint32_t>(static_cast<uint32_t>(rem * 1000));
}

int64_t read_timestamp_micros(ForyReader& r) {
  int64_t seconds = r.get_fixed<int64_t>();
  uint32_t nanos = r.get_fixed<uint32_t>();
  if (!r.ok()) return 0;
  if (nanos >= 1'000'000'000u || seconds > INT64_MAX / 1'000'000 - 1 ||
      seconds < INT64_MIN / 1'000'000 + 1) {
    r.fail("timestamp out of range");
    return 0;
  }
  return seconds * 1'000'000 + nanos / 1000;
}

void write_struct_body(ForyWriter& w, const StructDesc& d, const void* object) {
  const auto& fields = d.fields();
  for (uint32_t i : d.wire_order()) fields[i].access->write(w, object);
}

void write_struct_fields(ForyWriter& w, const StructDesc& d, const void* object) {
  w.put_fixed<int32_t>(d.struct_hash());
  write_struct_body(w, d, object);
}

void read_struct_body(ForyReader& r, const StructDesc& d, void* object) {
  if (!r.enter()) return;
  const auto& fields = d.fields();
  for (uint32_t i : d.wire_order()) {
    fields[i].access->read(r, object);
    if (!r.ok()) break;
  }
  r.leave();
}

bool read_known_root_prefix(ForyReader& r, std::span<const uint8_t> data, const StructDesc& d) {
  const std::string& prefix = d.root_prefix();
  if (data.size() < prefix.size() || std::memcmp(data.data(), prefix.data(), prefix.size()) != 0)
    return false;
  r.skip(prefix.size());
  r.add_known_meta(d.ns_meta(), true);
  r.add_known_meta(d.name_meta(), false);
  return true;
}

void read_struct_fields(ForyReader& r, const StructDesc& d, void* object) {
  int32_t hash = r.get_fixed<int32_t>();
  if (!r.ok()) return;
  if (hash != d.struct_hash()) {
    r.fail("struct hash mismatch for " + d.tag() + ": got " + std::to_string(hash) +
           ", expected " + std::to_string(d.struct_hash()) + " (schema differs)");
    return;
  }
  read_struct_body(r, d, object);
}

void check_named_type_info(ForyReader& r, ForyTypeId expected, const WireName& name,
                           const EncodedMetaString& ns_meta, const EncodedMetaString& name_meta) {
  uint8_t id = r.get_u8();
  if (!r.ok()) return;
  if (id != static_cast<uint8_t>(expected)) {
    r.fail("expected type id " + std::to_string(int(expected)) + " for " + name.tag() +
           ", found " + std::to_string(int(id)));
    return;
  }
  int ns = r.get_meta_string(true);
  int tn = r.get_meta_string(false);
  if (!r.ok()) return;
  if (!r.meta_equals(ns, ns_meta, name.ns) || !r.meta_equals(tn, name_meta, name.name)) {
    r.fail("expected type " + name.tag() + ", found " + r.meta_text(ns) + "/" + r.meta_text(tn));
  }
}

Status struct_from_value(const Value& x, const StructDesc& d, void* object) {
  if (x.kind() != Value::Kind::kStruct) return value_kind_error(x, "struct " + d.tag());
  const Value::Struct& s = x.as_struct();
  for (const auto& [name, v] : s.fields) {
    int i = d.find_field(name);
    if (i < 0)
      return Status(StatusCode::kInvalidArgument, "unknown field " + d.tag() + "." + name);
    Status st = d.fields()[static_cast<size_t>(i)].access->from_value(v, object);
    if (!st.is_ok())
      return Status(st.code(), d.tag() + "." + name + ": " + st.message());
  }
  return {};
}

}  // namespace detail
}  // namespace aster::codec
