// Interop with pyfory 0.16.0 over the corpus of tests/interop/py/fory_corpus.py:
//  1. pyfory writes every sample (and its JSON form in our conventions);
//  2. C++ (static and dynamic paths) decodes pyfory's bytes to the same value, and encodes the
//     value to the same bytes (except samples whose pyfory bytes depend on the process);
//  3. C++ writes its encodings; pyfory decodes them to values equal to the originals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"
#include "corpus_types.hpp"

namespace fs = std::filesystem;
using aster::Value;
using aster::codec::TypeDesc;
using aster::codec::TypeKind;

namespace {

std::string python() {
  const char* venv = std::getenv("ASTER_REFERENCE_VENV");
  return std::string(venv ? venv : "") + "/bin/python";
}
const fs::path& corpus_dir() {
  static const fs::path dir = fs::path(ASTER_BINARY_DIR) / "fory-corpus";
  return dir;
}
std::string script() { return std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/fory_corpus.py"; }

std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}
void write_file(const fs::path& p, std::span<const uint8_t> b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
std::string hex(std::span<const uint8_t> b) {
  std::string s;
  char buf[3];
  for (uint8_t x : b) {
    std::snprintf(buf, sizeof buf, "%02x", x);
    s += buf;
  }
  return s;
}

// Sets compare as multisets; with `unordered`, maps compare regardless of entry order.
Value normalize(const Value& v, const TypeDesc& t, bool unordered) {
  const TypeDesc& u = t.unwrapped();
  auto by_text = [](const auto& a, const auto& b) { return a.debug_string() < b.debug_string(); };
  switch (v.kind()) {
    case Value::Kind::kList: {
      Value::List items;
      for (const Value& e : v.as_list())
        items.push_back(u.element ? normalize(e, *u.element, unordered) : e);
      if (u.kind == TypeKind::kSet) std::sort(items.begin(), items.end(), by_text);
      return Value(std::move(items));
    }
    case Value::Kind::kMap: {
      Value::Map m;
      for (const auto& [k, e] : v.as_map())
        m.emplace_back(k, u.element ? normalize(e, *u.element, unordered) : e);
      if (unordered)
        std::sort(m.begin(), m.end(),
                  [](const auto& a, const auto& b) { return a.first.debug_string() < b.first.debug_string(); });
      return Value(std::move(m));
    }
    case Value::Kind::kStruct: {
      if (u.kind != TypeKind::kStruct) return v;
      Value::Struct s = v.as_struct();
      for (auto& [name, fv] : s.fields) {
        int i = u.struct_type->find_field(name);
        if (i >= 0) fv = normalize(fv, *u.struct_type->fields()[static_cast<size_t>(i)].type, unordered);
      }
      return Value(std::move(s));
    }
    default: return v;
  }
}

class ForyCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(corpus_dir());
    std::string cmd = python() + " " + script() + " generate " + corpus_dir().string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
};

template <typename T>
void check_sample(const std::string& name, bool unordered) {
  SCOPED_TRACE(name);
  const fs::path dir = corpus_dir();
  std::vector<uint8_t> py_bytes = read_file(dir / (name + ".fory"));
  std::string json = read_text(dir / (name + ".json"));
  aster::codec::TypeRef type = aster::codec::type_desc<T>();

  // Static path.
  auto decoded = aster::codec::fory_decode<T>(py_bytes);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  auto static_bytes = aster::codec::fory_encode(*decoded);
  ASSERT_TRUE(static_bytes.is_ok()) << static_bytes.status().to_string();
  if (!unordered) {
    EXPECT_EQ(hex(*static_bytes), hex(py_bytes)) << "static encode differs";
  }
  write_file(dir / (name + ".cpp-static.fory"), *static_bytes);

  // Dynamic path: the value as described by the JSON side file.
  auto expected = aster::codec::json_decode_value(json, *type);
  ASSERT_TRUE(expected.is_ok()) << expected.status().to_string();
  auto got = aster::codec::fory_decode_value(py_bytes, *type);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_EQ(normalize(*got, *type, unordered), normalize(*expected, *type, unordered))
      << "decoded " << got->debug_string() << "\nexpected " << expected->debug_string();
  EXPECT_EQ(normalize(aster::codec::to_value(*decoded), *type, unordered),
            normalize(*expected, *type, unordered))
      << "static decode differs from the JSON value";
  auto dyn_bytes = aster::codec::fory_encode_value(*expected, *type);
  ASSERT_TRUE(dyn_bytes.is_ok()) << dyn_bytes.status().to_string();
  if (!unordered) {
    EXPECT_EQ(hex(*dyn_bytes), hex(py_bytes)) << "dynamic encode differs";
  }
  write_file(dir / (name + ".cpp-dynamic.fory"), *dyn_bytes);

  // JSON mode round trip of the same value.
  auto json_out = aster::codec::json_encode_value(*expected, type.get());
  ASSERT_TRUE(json_out.is_ok());
  auto json_back = aster::codec::json_decode_value(*json_out, *type);
  ASSERT_TRUE(json_back.is_ok()) << json_back.status().to_string() << "\n" << *json_out;
  EXPECT_EQ(*json_back, *expected) << *json_out;
}

const std::map<std::string, std::function<void(const std::string&, bool)>>& dispatch() {
  static const std::map<std::string, std::function<void(const std::string&, bool)>> table = {
      {"corpus/Scalars", check_sample<corpus::Scalars>},
      {"corpus/IntWidths", check_sample<corpus::IntWidths>},
      {"corpus/Floats", check_sample<corpus::Floats>},
      {"corpus/Texts", check_sample<corpus::Texts>},
      {"corpus/Optionals", check_sample<corpus::Optionals>},
      {"corpus/Collections", check_sample<corpus::Collections>},
      {"corpus/Outer", check_sample<corpus::Outer>},
      {"corpus/Node", check_sample<corpus::Node>},
      {"corpus/Times", check_sample<corpus::Times>},
      {"corpus/Empty", check_sample<corpus::Empty>},
      {"examples.mission_control.types/LongNamespaceTypeName", check_sample<corpus::LongNames>},
      {"NoNsRoot", check_sample<corpus::NoNsRoot>},
      {"corpus/Untyped", check_sample<corpus::Untyped>},
      {"_aster/StreamHeader", check_sample<aster::wire::StreamHeader>},
      {"_aster/RpcStatus", check_sample<aster::wire::RpcStatus>},
  };
  return table;
}

TEST_F(ForyCorpus, EverySampleMatchesBothWays) {
  auto index = nlohmann::json::parse(read_text(corpus_dir() / "index.json"));
  ASSERT_GE(index.size(), 30u);
  for (const auto& e : index) {
    std::string type = e["type"];
    auto it = dispatch().find(type);
    ASSERT_NE(it, dispatch().end()) << "no C++ type for " << type;
    it->second(e["name"], e["unordered"]);
  }
  // pyfory decodes every C++-written file to a value equal to the original sample.
  std::string cmd = python() + " " + script() + " check " + corpus_dir().string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

}  // namespace
