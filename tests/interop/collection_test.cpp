// Issue 9: types from a real 0.1.2 collection. Two Python modules — py/shop/orders.py, written
// the ordinary way (plain @dataclass, default tags `shop.orders.Name`), and py/billing_tagged.py
// (@wire_type tags with dots and slashes, service version 3) — are published by 0.1.2's own
// build_collection (py/collection_publish.py), and their sample values encoded by pyfory 0.16.0.
// For every request and response type, both through the library (read_collection +
// ManifestTypes, what the shell and raw transport call) and through `aster fory`:
// pyfory bytes → our decode → JSON equal to Python's view; that JSON → our encode → pyfory's
// bytes. Also the `aster fory` input hardening of issue 13 point 6 that needs a real collection.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aster/contract/collection.hpp"
#include "aster/contract/identity.hpp"
#include "aster/contract/manifest_types.hpp"
#include "reference_peer.hpp"

namespace fs = std::filesystem;
using aster::contract::ManifestTypes;

namespace {

struct ShellRun {
  int exit_code = -1;
  std::string output;
};

// A single-quoted shell word.
std::string q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a command with bash (process substitution), stdout and stderr together, through the
// interop harness's runner (timeout included).
ShellRun run_shell(const std::string& cmd) {
  auto r = aster::interop::run_command({"bash", "-c", cmd + " 2>&1"}, std::chrono::seconds(120));
  return {r.exit_code, r.out + r.err};
}

class Collections : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("aster-collections-" + std::to_string(getpid())));
    fs::create_directories(*dir_);
    samples_ = new nlohmann::json(nlohmann::json::object());
    const char* venv = std::getenv("ASTER_REFERENCE_VENV");
    ASSERT_NE(venv, nullptr) << "ASTER_REFERENCE_VENV is not set (tests/CMakeLists.txt sets it)";
    for (const char* module : {"shop.orders", "billing_tagged"}) {
      fs::path out = *dir_ / (std::string(module) + ".json");
      ShellRun run = run_shell(std::string(venv) + "/bin/python " + ASTER_SOURCE_DIR +
                          "/tests/interop/py/collection_publish.py " + module + " " +
                          dir_->string() + " > " + out.string());
      ASSERT_EQ(run.exit_code, 0) << run.output;
      std::ifstream in(out);
      samples_->update(nlohmann::json::parse(in));
    }
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete samples_;
  }
  static fs::path service_dir(const nlohmann::json& sample) {
    return *dir_ / sample["service"].get<std::string>();
  }
  static std::string aster() { return std::string(ASTER_BINARY_DIR) + "/cli/aster"; }

  static fs::path* dir_;
  static nlohmann::json* samples_;
};
fs::path* Collections::dir_ = nullptr;
nlohmann::json* Collections::samples_ = nullptr;

TEST_F(Collections, PublishedLayoutReadsAndVerifies) {
  ASSERT_EQ(samples_->size(), 6u);  // Order, Receipt, Line, Money; Invoice, InvoiceAck
  for (const char* service : {"Shop", "Billing"}) {
    SCOPED_TRACE(service);
    auto c = aster::contract::read_collection(*dir_ / service, {.verify = true});
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_EQ(c->manifest.service, service);
    EXPECT_EQ(c->types.size(), c->manifest.type_hashes.size());
    EXPECT_EQ(aster::contract::to_hex(aster::contract::blake3(c->contract_bytes)),
              c->manifest.contract_id);
  }
  auto billing = aster::contract::read_collection(*dir_ / "Billing");
  ASSERT_TRUE(billing.is_ok());
  EXPECT_EQ(billing->manifest.version, 3);
}

// The library path: read_collection + ManifestTypes (find_type, JSON ↔ Value ↔ Fory).
TEST_F(Collections, LibraryRoundTripsPyforyBytes) {
  for (const auto& [type, sample] : samples_->items()) {
    SCOPED_TRACE(type);
    auto c = aster::contract::read_collection(service_dir(sample));
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    ManifestTypes types(*c);
    auto py_bytes = aster::contract::from_hex(sample["hex"].get<std::string>());
    ASSERT_TRUE(py_bytes.is_ok());

    auto value = types.decode(type, *py_bytes);
    ASSERT_TRUE(value.is_ok()) << value.status().to_string();
    auto json = types.to_json(type, *value);
    ASSERT_TRUE(json.is_ok()) << json.status().to_string();
    EXPECT_EQ(nlohmann::json::parse(*json), sample["json"]);

    auto from_json = types.from_json(type, sample["json"].dump());
    ASSERT_TRUE(from_json.is_ok()) << from_json.status().to_string();
    EXPECT_EQ(*from_json, *value);
    auto bytes = types.encode(type, *from_json);
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    EXPECT_EQ(aster::contract::to_hex(*bytes), sample["hex"].get<std::string>());
  }
}

// Every spelling of one type is that type; the wire identity is pyfory's registration.
TEST_F(Collections, NamesMergeIntoOneTypePerWireIdentity) {
  auto shop = aster::contract::read_collection(*dir_ / "Shop");
  ASSERT_TRUE(shop.is_ok());
  ManifestTypes types(*shop);
  for (const char* name : {"Order", "shop.orders.Order", "shop.orders/Order"}) {
    auto t = types.find_type(name);
    ASSERT_TRUE(t.is_ok()) << name << ": " << t.status().to_string();
    EXPECT_EQ((*t)->struct_type->wire_name().ns, "shop.orders") << name;
    EXPECT_EQ((*t)->struct_type->wire_name().name, "Order") << name;
  }
  // Nested two levels deep, described only by types/*.bin, still one type each.
  EXPECT_EQ(types.type_tags(),
            (std::vector<std::string>{"shop.orders/Currency", "shop.orders/Line",
                                      "shop.orders/Money", "shop.orders/Order",
                                      "shop.orders/Receipt"}));

  auto billing = aster::contract::read_collection(*dir_ / "Billing");
  ASSERT_TRUE(billing.is_ok());
  ManifestTypes tagged(*billing);
  auto customer = tagged.find_type("Customer");
  ASSERT_TRUE(customer.is_ok()) << customer.status().to_string();
  // @wire_type("acme.billing.Customer"): no '/', so namespace "" on the wire, although the
  // TypeDef's package is the Python module.
  EXPECT_EQ((*customer)->struct_type->wire_name().ns, "");
  EXPECT_EQ((*customer)->struct_type->wire_name().name, "acme.billing.Customer");
  auto item = tagged.find_type("acme/billing.v2/Item");
  ASSERT_TRUE(item.is_ok()) << item.status().to_string();
  EXPECT_EQ((*item)->struct_type->wire_name().ns, "acme/billing.v2");
}

// `aster fory` with --collection, and with --manifest (a FIFO: process substitution) + --types.
TEST_F(Collections, AsterForyRoundTripsPyforyBytes) {
  ASSERT_TRUE(fs::exists(aster())) << aster();
  for (const auto& [type, sample] : samples_->items()) {
    SCOPED_TRACE(type);
    fs::path sdir = service_dir(sample);
    std::string hex = sample["hex"].get<std::string>();
    fs::path json_file = *dir_ / (type + ".in.json");
    std::ofstream(json_file) << sample["json"].dump();
    for (const std::string& source :
         {"--collection " + q(sdir.string()),
          "--manifest <(cat " + q((sdir / "manifest.json").string()) + ") --types " +
              q((sdir / "types").string())}) {
      SCOPED_TRACE(source);
      ShellRun dec = run_shell(q(aster()) + " fory decode " + source + " --type " + type + " " + hex);
      ASSERT_EQ(dec.exit_code, 0) << dec.output;
      EXPECT_EQ(nlohmann::json::parse(dec.output), sample["json"]);
      ShellRun enc = run_shell(q(aster()) + " fory encode " + source + " --type " + type + " - < " +
                          q(json_file.string()));
      ASSERT_EQ(enc.exit_code, 0) << enc.output;
      EXPECT_EQ(enc.output, hex + "\n");
    }
    // The manifest on stdin (the input is then an argument).
    ShellRun dec = run_shell(q(aster()) + " fory decode --manifest /dev/stdin --types " +
                             q((sdir / "types").string()) + " --type " + type + " " + hex +
                             " < " + q((sdir / "manifest.json").string()));
    ASSERT_EQ(dec.exit_code, 0) << dec.output;
    EXPECT_EQ(nlohmann::json::parse(dec.output), sample["json"]);
  }
}

// Issue 13 point 6, at the tool: one line, exit 1, and the words a user needs.
TEST_F(Collections, AsterForyRefusesBadInputClearly) {
  std::string shop = " --collection " + q((*dir_ / "Shop").string()) + " --type Order ";
  auto encode = [&](const std::string& json) {
    fs::path f = *dir_ / "bad.json";
    std::ofstream(f, std::ios::binary) << json;
    return run_shell(q(aster()) + " fory encode" + shop + "- < " + q(f.string()));
  };
  auto expect_error = [](const ShellRun& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
  };
  expect_error(encode("{\"title\": \"a\xff\"}"), "invalid UTF-8 at byte 12");
  expect_error(encode("{\"title\": NaN}"), "Order.title: expected string, got bare NaN");
  expect_error(encode("{\"total\": {\"units\": 18446744073709551616}}"), "Order.total.units");
  expect_error(encode("{\"gift\": true, \"gift\": false}"), "duplicate key \"gift\"");
  expect_error(encode("{\"side\": \"SIDEWAYS\"}"),
               "is not a member of enum Side (expected one of: 1, 2, 5)");
  expect_error(encode(std::string(200000, '[')), "nesting deeper than");

  // Enums print by value (what the manifest lists) and are read by value.
  ShellRun side = encode("{\"side\": 5}");
  ASSERT_EQ(side.exit_code, 0) << side.output;
  ShellRun back = run_shell(q(aster()) + " fory decode" + shop + side.output);
  ASSERT_EQ(back.exit_code, 0) << back.output;
  EXPECT_EQ(nlohmann::json::parse(back.output)["side"], 5);

  // stdin is capped, and the error says so.
  ShellRun big = run_shell("head -c 70000000 /dev/zero | " + q(aster()) + " fory decode" + shop + "-");
  expect_error(big, "more than 64 MiB (the limit for input on stdin)");

  // Without type blobs, a nested type is reported with the option that supplies it.
  ShellRun no_blobs = run_shell(q(aster()) + " fory decode --manifest " +
                           q((*dir_ / "Shop" / "manifest.json").string()) + " --type Order 00");
  expect_error(no_blobs, "--collection");
}

}  // namespace
