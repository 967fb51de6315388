// The C++ twin of tests/interop/py/ordinary_orders.py, written as a C++ user writes the twin
// of an ordinary 0.1.2 service: the Python default tags (`<module>/<Class>`), enums declared by
// member name in declaration order with their Python values (JSON mode and the manifest use
// them; Fory sends positions), the Python defaults as member initializers, and both versions
// of `Orders`. ordinary_service_test.cpp calls the Python
// producer with it and serves it to the Python consumer.
#pragma once

#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aster/codec/declare.hpp"
#include "aster/contract/service.hpp"
#include "aster/rpc/service_client.hpp"
#include "aster/rpc/service_impl.hpp"

namespace ordinary_orders {

using aster::codec::Bytes;

enum class Shape { kCircle, kSquare, kTriangle };  // Python values "circle", "square", …
ASTER_ENUM(Shape, "ordinary_orders/Shape", ASTER_ENUMERATOR_VALUE(kCircle, "CIRCLE", "circle"),
           ASTER_ENUMERATOR_VALUE(kSquare, "SQUARE", "square"),
           ASTER_ENUMERATOR_VALUE(kTriangle, "TRIANGLE", "triangle"));

enum class Priority { kLow, kHigh };  // an IntEnum: LOW = 10, HIGH = 20
ASTER_ENUM(Priority, "ordinary_orders/Priority", ASTER_ENUMERATOR_VALUE(kLow, "LOW", 10),
           ASTER_ENUMERATOR_VALUE(kHigh, "HIGH", 20));

struct Line {
  std::string label;
  Shape shape = Shape::kCircle;
  int64_t qty = 1;
};
ASTER_MESSAGE(Line, "ordinary_orders/Line", ASTER_FIELD(label), ASTER_FIELD(shape),
              ASTER_FIELD(qty));

struct Order {
  int64_t id = 0;
  std::string customer;
  Line first;
  std::optional<Line> extra;
  std::vector<Line> lines;
  std::map<int64_t, Line> by_sku;
  Priority priority = Priority::kLow;
  double price = 0.0;
  std::optional<std::string> note;
  Bytes raw;
  std::vector<std::string> tags;
};
ASTER_MESSAGE(Order, "ordinary_orders/Order", ASTER_FIELD(id), ASTER_FIELD(customer),
              ASTER_FIELD(first), ASTER_FIELD(extra), ASTER_FIELD(lines), ASTER_FIELD(by_sku),
              ASTER_FIELD(priority), ASTER_FIELD(price), ASTER_FIELD(note), ASTER_FIELD(raw),
              ASTER_FIELD(tags));

struct Receipt {
  int64_t order_id = 0;
  int64_t total_qty = 0;
  std::vector<Shape> shapes;
  std::optional<Order> echoed;
};
ASTER_MESSAGE(Receipt, "ordinary_orders/Receipt", ASTER_FIELD(order_id), ASTER_FIELD(total_qty),
              ASTER_FIELD(shapes), ASTER_FIELD(echoed));

// `Orders` at version V (the Python file serves 1 and 2).
template <int64_t V>
struct Orders {
  static const aster::contract::ServiceDesc& descriptor() {
    static const aster::contract::ServiceDesc desc =
        aster::contract::ServiceDesc("Orders")
            .version(V)
            .method(aster::contract::unary<Order, Receipt>("place"))
            .method(aster::contract::server_stream<Order, Line>("lines"))
            .method(aster::contract::client_stream<Order, Receipt>("bulk"))
            .method(aster::contract::bidi_stream<Line, Line>("relabel"));
    return desc;
  }

  class Client : public aster::rpc::ServiceClient {
   public:
    using ServiceClient::ServiceClient;
    asio::awaitable<Receipt> place(Order o, aster::rpc::CallOptions opts = {}) {
      return unary<Receipt>("place", std::move(o), std::move(opts));
    }
    asio::awaitable<aster::rpc::ServerStream<Line>> lines(Order o,
                                                          aster::rpc::CallOptions opts = {}) {
      return server_stream<Line>("lines", std::move(o), std::move(opts));
    }
    asio::awaitable<aster::rpc::ClientStreamWriter<Order, Receipt>> bulk(
        aster::rpc::CallOptions opts = {}) {
      return client_stream<Receipt, Order>("bulk", std::move(opts));
    }
    asio::awaitable<aster::rpc::BidiStream<Line, Line>> relabel(
        aster::rpc::CallOptions opts = {}) {
      return bidi<Line, Line>("relabel", std::move(opts));
    }
  };
};

// What both producers answer (ordinary_orders.py `receipt_of`).
inline aster::Result<Receipt> receipt_of(Order order) {
  using aster::Status;
  using aster::StatusCode;
  if (order.customer.empty()) {
    return Status(StatusCode::kInvalidArgument, "an order needs a customer");
  }
  if (order.priority == Priority::kHigh && order.price > 1000) {
    return Status(StatusCode::kFailedPrecondition, "high priority orders stop at 1000");
  }
  std::vector<Line> everything{order.first};
  if (order.extra) everything.push_back(*order.extra);
  everything.insert(everything.end(), order.lines.begin(), order.lines.end());
  Receipt r;
  r.order_id = order.id + 1000;
  for (const Line& line : everything) {
    r.total_qty += line.qty;
    r.shapes.push_back(line.shape);
  }
  for (const auto& [sku, line] : order.by_sku) r.total_qty += line.qty;
  order.raw.push_back('!');
  order.tags.push_back("seen");
  r.echoed = std::move(order);
  return r;
}

template <int64_t V>
aster::rpc::ServiceImpl make_orders_impl() {
  using aster::Result;
  using aster::Status;
  using aster::StatusCode;
  using namespace aster::rpc;
  ServiceImpl impl(Orders<V>::descriptor());
  impl.unary<Order, Receipt>(
      "place", [](Order o, CallContext&) -> asio::awaitable<Result<Receipt>> {
        co_return receipt_of(std::move(o));
      });
  impl.server_stream<Order, Line>(
      "lines", [](Order o, CallContext&, ServerWriter<Line>& out) -> asio::awaitable<Status> {
        for (const Line& line : o.lines) ASTER_CO_RETURN_IF_ERROR(co_await out.write(line));
        if (o.note == "fail") co_return Status(StatusCode::kAborted, "stopped after the lines");
        co_return Status::ok();
      });
  impl.client_stream<Order, Receipt>(
      "bulk", [](ServerReader<Order>& in, CallContext&) -> asio::awaitable<Result<Receipt>> {
        Receipt r;
        while (auto o = co_await in.next()) {
          ++r.order_id;
          r.total_qty += o->first.qty;
          r.shapes.push_back(o->first.shape);
        }
        co_return r;
      });
  impl.bidi<Line, Line>(
      "relabel", [](ServerReader<Line>& in, CallContext&,
                    ServerWriter<Line>& out) -> asio::awaitable<Status> {
        while (auto line = co_await in.next()) {
          if (line->qty < 0) {
            co_return Status(StatusCode::kOutOfRange, "negative quantity for " + line->label);
          }
          Line up{line->label, Shape::kTriangle, line->qty * 2};
          for (char& c : up.label) c = static_cast<char>(std::toupper(c));
          ASTER_CO_RETURN_IF_ERROR(co_await out.write(up));
        }
        co_return Status::ok();
      });
  return impl;
}

}  // namespace ordinary_orders
