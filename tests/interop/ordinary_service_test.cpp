// An ordinary aster-rpc 0.1.2 service (py/ordinary_orders.py: default tags, an Enum with string
// values, an IntEnum with values that are not positions, nested dataclasses, Optional, dict
// with int keys, bytes, two versions) against its C++ twin (ordinary_orders.hpp), both ways:
// our typed client calling the real 0.1.2 producer (v2 and v1), and the real 0.1.2 typed
// consumer (which always calls v1) calling our producer. Rows go to the RPC interop matrix.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aster/contract/contract.hpp"
#include "aster/rpc/client.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "interop_matrix.hpp"
#include "ordinary_orders.hpp"
#include "reference_peer.hpp"
#include "rpc_suites.hpp"

namespace aster::interop {
namespace {

using namespace ordinary_orders;
using json = nlohmann::json;

const char* kPyToCpp = "Python consumer → C++ producer";
const char* kCppToPy = "C++ consumer → Python producer";

Order sample_order() {
  Order o;
  o.id = 7;
  o.customer = "ada";
  o.first = {"pen", Shape::kSquare, 3};
  o.extra = Line{"ink", Shape::kTriangle, 2};
  o.lines = {{"pad", Shape::kCircle, 4}, {"cap", Shape::kSquare, 1}};
  o.by_sku = {{42, {"box", Shape::kTriangle, 5}}};
  o.priority = Priority::kHigh;
  o.price = 12.5;
  o.raw = Bytes(std::string_view("\x00\xff" "ab", 4));
  o.tags = {"gift"};
  return o;
}

// The receipt sample_order() gets from either producer (ordinary_orders.py `receipt_of`).
void expect_sample_receipt(const Receipt& r) {
  EXPECT_EQ(r.order_id, 1007);
  EXPECT_EQ(r.total_qty, 15);
  EXPECT_EQ(r.shapes, (std::vector<Shape>{Shape::kSquare, Shape::kTriangle, Shape::kCircle,
                                          Shape::kSquare}));
  ASSERT_TRUE(r.echoed.has_value());
  const Order& e = *r.echoed;
  EXPECT_EQ(e.customer, "ada");
  EXPECT_EQ(e.first.label, "pen");
  ASSERT_TRUE(e.extra.has_value());
  EXPECT_EQ(e.extra->shape, Shape::kTriangle);
  ASSERT_EQ(e.lines.size(), 2u);
  EXPECT_EQ(e.lines[1].label, "cap");
  ASSERT_EQ(e.by_sku.count(42), 1u);
  EXPECT_EQ(e.by_sku.at(42).qty, 5);
  EXPECT_EQ(e.priority, Priority::kHigh);
  EXPECT_EQ(e.price, 12.5);
  EXPECT_FALSE(e.note.has_value());
  EXPECT_EQ(e.raw.view(), std::string_view("\x00\xff" "ab!", 5));
  EXPECT_EQ(e.tags, (std::vector<std::string>{"gift", "seen"}));
}

// ---- C++ consumer → Python 0.1.2 producer ---------------------------------------------------

class OrdinaryPythonProducer : public PythonProducerSuite<OrdinaryPythonProducer> {
 public:
  static constexpr const char* kProducerScript = "ordinary_orders_producer.py";
};

TEST_F(OrdinaryPythonProducer, ContractIdsOfBothVersionsMatchTheTwin) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    for (const auto* desc : {&Orders<1>::descriptor(), &Orders<2>::descriptor()}) {
      auto ours = contract::build_contract_artifacts(*desc);
      EXPECT_TRUE(ours.is_ok()) << ours.status().to_string();
      if (!ours.is_ok()) continue;
      const auto& offered = client.find_service("Orders", desc->version());
      EXPECT_EQ(offered.contract_id, ours->contract_id) << "Orders v" << desc->version();
    }
    co_return;
  });
}

TEST_F(OrdinaryPythonProducer, UnaryInVersionTwoAndOne) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto v2 = co_await client.client<Orders<2>>();
    Receipt r = co_await v2.place(sample_order());
    expect_sample_receipt(r);
    auto v1 = co_await client.client<Orders<1>>();
    Order defaults;
    defaults.customer = "bo";
    Receipt d = co_await v1.place(defaults);
    bool ok = d.order_id == 1000 && d.total_qty == 1 && d.shapes == std::vector<Shape>{
        Shape::kCircle} && d.echoed && d.echoed->raw.view() == "!" && !d.echoed->extra;
    EXPECT_TRUE(ok);
    record("unary", kCppToPy, "ordinary service: default tags, enums, nested, v2 and v1",
           ok && r.total_qty == 15 && !::testing::Test::HasFailure());
  });
}

TEST_F(OrdinaryPythonProducer, HandlerErrorsCarryTheirCodes) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto v2 = co_await client.client<Orders<2>>();
    Order nobody;  // named: docs/rpc.md "GCC 12 and braced temporaries"
    Status no_customer = co_await status_of_call([&]() -> asio::awaitable<void> {
      (void)co_await v2.place(nobody);
    });
    EXPECT_EQ(no_customer.code(), StatusCode::kInvalidArgument) << no_customer.to_string();
    EXPECT_EQ(no_customer.message(), "an order needs a customer");
    Order pricey;
    pricey.customer = "cy";
    pricey.priority = Priority::kHigh;
    pricey.price = 5000;
    Status too_much = co_await status_of_call([&]() -> asio::awaitable<void> {
      (void)co_await v2.place(pricey);
    });
    EXPECT_EQ(too_much.code(), StatusCode::kFailedPrecondition) << too_much.to_string();
  });
}

TEST_F(OrdinaryPythonProducer, StreamsOfNestedTypes) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto v2 = co_await client.client<Orders<2>>();
    auto lines = co_await v2.lines(sample_order());
    std::vector<std::string> labels;
    while (auto line = co_await lines.next()) labels.push_back(line->label);
    EXPECT_EQ(labels, (std::vector<std::string>{"pad", "cap"}));
    Order failing = sample_order();
    failing.note = "fail";
    auto partial = co_await v2.lines(failing);
    size_t before = 0;
    Status aborted = co_await status_of_call([&]() -> asio::awaitable<void> {
      while (auto line = co_await partial.next()) ++before;
    });
    EXPECT_EQ(before, 2u);
    EXPECT_EQ(aborted.code(), StatusCode::kAborted) << aborted.to_string();
    record("server stream", kCppToPy, "ordinary service: nested items, error after them",
           labels.size() == 2 && aborted.code() == StatusCode::kAborted);

    auto bulk = co_await v2.bulk();
    const Shape shapes[] = {Shape::kCircle, Shape::kTriangle, Shape::kSquare};
    for (int64_t i = 0; i < 3; ++i) {
      Order o;
      o.id = i;
      o.customer = "x";
      o.first = {"l" + std::to_string(i), shapes[i], i + 1};
      co_await bulk.write(o);
    }
    Receipt total = co_await bulk.finish();
    bool bulk_ok = total.order_id == 3 && total.total_qty == 6 &&
                   total.shapes == std::vector<Shape>(std::begin(shapes), std::end(shapes));
    EXPECT_TRUE(bulk_ok) << total.order_id << " " << total.total_qty;
    record("client stream", kCppToPy, "ordinary service: nested requests, enums", bulk_ok);

    auto relabel = co_await v2.relabel();
    const Line a{"a", Shape::kCircle, 1}, negative{"neg", Shape::kSquare, -1};
    co_await relabel.write(a);
    auto first = co_await relabel.next();
    co_await relabel.write(negative);
    Status out_of_range = co_await status_of_call([&]() -> asio::awaitable<void> {
      while (co_await relabel.next()) {
      }
    });
    bool bidi_ok = first && first->label == "A" && first->shape == Shape::kTriangle &&
                   first->qty == 2 && out_of_range.code() == StatusCode::kOutOfRange;
    EXPECT_TRUE(bidi_ok) << out_of_range.to_string();
    record("bidi", kCppToPy, "ordinary service: nested items, handler error", bidi_ok);
  });
}

TEST_F(OrdinaryPythonProducer, AVersionNotOfferedIsALookupError) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    bool lookup = false;
    try {
      (void)co_await client.client<Orders<3>>();
    } catch (const LookupError&) {
      lookup = true;
    }
    EXPECT_TRUE(lookup);
  });
}

// ---- Python 0.1.2 consumer → C++ producer ----------------------------------------------------

class OrdinaryPythonConsumer : public PythonConsumerSuite<OrdinaryPythonConsumer> {
 public:
  static constexpr const char* kConsumerScript = "ordinary_orders_consumer.py";
  static void add_services(rpc::Server& server) {
    server.add(make_orders_impl<1>());
    server.add(make_orders_impl<2>());
  }
};

TEST_F(OrdinaryPythonConsumer, ConsumerRan) { ASSERT_TRUE(results_.is_object()) << consumer_err_; }

TEST_F(OrdinaryPythonConsumer, UnaryWithEveryFieldKind) {
  json place = result("place");
  const json expected_echo = {
      {"id", 7}, {"customer", "ada"},
      {"first", {{"label", "pen"}, {"shape", "SQUARE"}, {"qty", 3}}},
      {"extra", {{"label", "ink"}, {"shape", "TRIANGLE"}, {"qty", 2}}},
      {"lines", json::array({{{"label", "pad"}, {"shape", "CIRCLE"}, {"qty", 4}},
                             {{"label", "cap"}, {"shape", "SQUARE"}, {"qty", 1}}})},
      {"by_sku", {{"42", {{"label", "box"}, {"shape", "TRIANGLE"}, {"qty", 5}}}}},
      {"priority", "HIGH"}, {"price", 12.5}, {"note", nullptr},
      {"raw", std::string("\x00\xc3\xbf" "ab!", 6)}, {"tags", {"gift", "seen"}}};
  const json expected = {{"order_id", 1007}, {"total_qty", 15},
                         {"shapes", {"SQUARE", "TRIANGLE", "CIRCLE", "SQUARE"}},
                         {"echoed", expected_echo}};
  bool ok = place["ok"] == true && place["value"] == expected;
  EXPECT_TRUE(ok) << place.dump() << "\n" << consumer_err_;
  json defaults = result("place_defaults");
  bool defaults_ok = defaults["ok"] == true && defaults["value"]["total_qty"] == 1 &&
                     defaults["value"]["echoed"]["extra"].is_null() &&
                     defaults["value"]["echoed"]["priority"] == "LOW";
  EXPECT_TRUE(defaults_ok) << defaults.dump();
  record("unary", kPyToCpp, "ordinary service: default tags, enums, nested, v1",
         ok && defaults_ok);
}

TEST_F(OrdinaryPythonConsumer, HandlerErrorsCarryTheirCodes) {
  EXPECT_EQ(result("invalid_argument")["code"], 3) << result("invalid_argument").dump();
  EXPECT_EQ(result("invalid_argument")["message"], "an order needs a customer");
  EXPECT_EQ(result("failed_precondition")["code"], 9) << result("failed_precondition").dump();
}

TEST_F(OrdinaryPythonConsumer, StreamsOfNestedTypes) {
  json lines = result("lines");
  bool lines_ok = lines["ok"] == true && lines["value"].size() == 2 &&
                  lines["value"][1]["label"] == "cap" && lines["value"][1]["shape"] == "SQUARE";
  EXPECT_TRUE(lines_ok) << lines.dump();
  json after = result("lines_error")["value"];
  bool error_ok = after.is_object() && after["seen"] == json({"pad", "cap"}) &&
                  after["code"] == 10;
  EXPECT_TRUE(error_ok) << result("lines_error").dump();
  record("server stream", kPyToCpp, "ordinary service: nested items, error after them",
         lines_ok && error_ok);

  json bulk = result("bulk");
  bool bulk_ok = bulk["ok"] == true && bulk["value"]["order_id"] == 3 &&
                 bulk["value"]["total_qty"] == 6 &&
                 bulk["value"]["shapes"] == json({"CIRCLE", "TRIANGLE", "SQUARE"});
  EXPECT_TRUE(bulk_ok) << bulk.dump();
  record("client stream", kPyToCpp, "ordinary service: nested requests, enums", bulk_ok);

  json relabel = result("relabel");
  bool bidi_ok = relabel["ok"] == true &&
                 relabel["value"] == json::array({{{"label", "A"}, {"shape", "TRIANGLE"},
                                                   {"qty", 2}},
                                                  {{"label", "B"}, {"shape", "TRIANGLE"},
                                                   {"qty", 4}}}) &&
                 result("relabel_error")["code"] == 11;
  EXPECT_TRUE(bidi_ok) << relabel.dump() << " " << result("relabel_error").dump();
  record("bidi", kPyToCpp, "ordinary service: nested items, handler error", bidi_ok);
}

// aster-cli 0.1.2's `aster call` speaks JSON and calls v1; its user writes enums as Python
// writes them, by value ("square", 20). Our producer reads them so (ASTER_ENUMERATOR_VALUE)
// and answers them so; a 0.1.2 producer could not answer at all here (`json.dumps` of a
// plain Enum member fails).
TEST_F(OrdinaryPythonConsumer, AsterCli012CallsWithPythonEnumValues) {
  const char* venv = std::getenv("ASTER_REFERENCE_VENV");
  ASSERT_NE(venv, nullptr);
  auto r = run_command({std::string(venv) + "/bin/aster", "call", server_->address(),
                        "Orders.place",
                        R"({"customer": "ada", "first": {"label": "pen", "shape": "square",)"
                        R"( "qty": 3}, "priority": 20, "price": 12.5})"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json reply = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(reply.is_object()) << r.out;
  EXPECT_EQ(reply["order_id"], 1000);
  EXPECT_EQ(reply["total_qty"], 3);
  EXPECT_EQ(reply["shapes"], json({"square"}));
  EXPECT_EQ(reply["echoed"]["priority"], 20);
  EXPECT_EQ(reply["echoed"]["first"]["shape"], "square");
  auto bad = run_command({std::string(venv) + "/bin/aster", "call", server_->address(),
                          "Orders.place", R"({"customer": "ada", "priority": 1})"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.err.find("is not a member of enum ordinary_orders/Priority"), std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace aster::interop
