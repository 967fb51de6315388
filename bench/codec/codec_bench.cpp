// bench/codec: encode/decode ns/op and MB/s of the Aster Fory codec against protobuf C++ on
// equivalent messages and pyfory 0.16.0 (Python, run as a subprocess in the same invocation).
// Prints a markdown table with ratios. Run from a release build; not part of CI.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aster/codec/fory.hpp"
#include "bench_messages.pb.h"

namespace bench {

struct Small {
  std::string name;
  int64_t id = 0;
};
ASTER_MESSAGE(Small, "bench/Small", ASTER_FIELD(name), ASTER_FIELD(id))

struct Item {
  std::string name;
  int64_t qty = 0;
  double price = 0;
  std::vector<std::string> tags;
};
ASTER_MESSAGE(Item, "bench/Item", ASTER_FIELD(name), ASTER_FIELD(qty), ASTER_FIELD(price),
              ASTER_FIELD(tags))

struct Medium {
  std::string title;
  int64_t id = 0;
  double score = 0;
  bool active = false;
  std::vector<Item> items;
  std::map<std::string, std::string> attrs;
};
ASTER_MESSAGE(Medium, "bench/Medium", ASTER_FIELD(title), ASTER_FIELD(id), ASTER_FIELD(score),
              ASTER_FIELD(active), ASTER_FIELD(items), ASTER_FIELD(attrs))

struct Large {
  aster::codec::Bytes blob;
  std::vector<int64_t> values;
};
ASTER_MESSAGE(Large, "bench/Large", ASTER_FIELD(blob), ASTER_FIELD(values))

}  // namespace bench

namespace {

// Best of one timed batch (≥ min_seconds); callers take the minimum over interleaved rounds so
// that load from other processes on a shared machine biases no codec in particular.
template <typename F>
double ns_per_op(F&& fn, double min_seconds = 0.1) {
  using clock = std::chrono::steady_clock;
  for (size_t n = 1;; n *= 2) {
    auto t0 = clock::now();
    for (size_t i = 0; i < n; ++i) fn();
    double ns = std::chrono::duration<double, std::nano>(clock::now() - t0).count();
    if (ns >= min_seconds * 1e9) return ns / static_cast<double>(n);
  }
}

template <typename T>
void keep(T&& v) {
  asm volatile("" : : "g"(&v) : "memory");
}

struct Row {
  size_t size = 0;
  double enc = 0, dec = 0;
};

bench::Medium make_medium() {
  bench::Medium m{"quarterly report", 123456789, 98.5, true, {}, {}};
  for (int i = 0; i < 10; ++i)
    m.items.push_back({fmt::format("item-{}", i), i * 3, i * 1.25, {"red", "large", fmt::format("t{}", i)}});
  for (int i = 0; i < 8; ++i) m.attrs[fmt::format("key{}", i)] = fmt::format("value-{}", i);
  return m;
}
bench::Large make_large() {
  bench::Large l;
  l.blob.resize(1 << 20);
  for (size_t i = 0; i < l.blob.size(); ++i) l.blob[i] = static_cast<uint8_t>(i % 251);
  for (int i = 0; i < 10000; ++i) l.values.push_back(i);
  return l;
}

template <typename T>
Row bench_fory(const T& msg) {
  aster::codec::ForyWriter w;
  (void)aster::codec::fory_encode_to(msg, w);
  std::vector<uint8_t> bytes = w.take_vector();
  Row r;
  r.size = bytes.size();
  r.enc = ns_per_op([&] {
    (void)aster::codec::fory_encode_to(msg, w);
    keep(w);
  });
  r.dec = ns_per_op([&] {
    auto v = aster::codec::fory_decode<T>(bytes);
    keep(v);
  });
  return r;
}

template <typename P>
Row bench_protobuf(const P& msg) {
  std::string buf;
  msg.SerializeToString(&buf);
  std::string out(buf.size(), '\0');
  Row r;
  r.size = buf.size();
  r.enc = ns_per_op([&] {
    msg.SerializeToArray(out.data(), static_cast<int>(out.size()));
    keep(out);
  });
  r.dec = ns_per_op([&] {
    P m;
    m.ParseFromArray(buf.data(), static_cast<int>(buf.size()));
    keep(m);
  });
  return r;
}

aster_bench::Medium medium_pb(const bench::Medium& m) {
  aster_bench::Medium p;
  p.set_title(m.title);
  p.set_id(m.id);
  p.set_score(m.score);
  p.set_active(m.active);
  for (const auto& it : m.items) {
    auto* i = p.add_items();
    i->set_name(it.name);
    i->set_qty(it.qty);
    i->set_price(it.price);
    for (const auto& t : it.tags) i->add_tags(t);
  }
  for (const auto& [k, v] : m.attrs) (*p.mutable_attrs())[k] = v;
  return p;
}

}  // namespace

int main() {
  bench::Small small{"world", 42};
  bench::Medium medium = make_medium();
  bench::Large large = make_large();
  aster_bench::Small small_pb;
  small_pb.set_name(small.name);
  small_pb.set_id(small.id);
  aster_bench::Large large_pb;
  large_pb.set_blob(std::string(large.blob.begin(), large.blob.end()));
  for (int64_t v : large.values) large_pb.add_values(v);

  std::map<std::string, Row> fory, pb, py;
  auto best = [](Row& acc, const Row& r) {
    if (acc.size == 0) {
      acc = r;
      return;
    }
    acc.enc = std::min(acc.enc, r.enc);
    acc.dec = std::min(acc.dec, r.dec);
  };
  aster_bench::Medium medium_proto = medium_pb(medium);
  for (int round = 0; round < 7; ++round) {
    best(fory["small"], bench_fory(small));
    best(pb["small"], bench_protobuf(small_pb));
    best(fory["medium"], bench_fory(medium));
    best(pb["medium"], bench_protobuf(medium_proto));
    best(fory["large"], bench_fory(large));
    best(pb["large"], bench_protobuf(large_pb));
  }

  // pyfory in the same run.
  std::string venv = std::getenv("ASTER_REFERENCE_VENV") ? std::getenv("ASTER_REFERENCE_VENV")
                                                         : ASTER_REFERENCE_VENV;
  std::string medium_file = "/tmp/aster_codec_bench_medium.fory";
  std::string cmd = venv + "/bin/python " + ASTER_SOURCE_DIR + "/bench/codec/pyfory_bench.py " +
                    medium_file;
  bool identical = false;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) == 0) {
      auto j = nlohmann::json::parse(out, nullptr, false);
      for (const char* name : {"small", "medium", "large"}) {
        py[name] = Row{j[name]["bytes"].get<size_t>(), j[name]["encode_ns"].get<double>(),
                       j[name]["decode_ns"].get<double>()};
      }
      std::ifstream in(medium_file, std::ios::binary);
      std::vector<uint8_t> pybytes{std::istreambuf_iterator<char>(in), {}};
      identical = pybytes == aster::codec::fory_encode(medium).value();
    }
  }

  auto mbps = [](const Row& r, double ns) { return ns > 0 ? r.size / ns * 1e3 : 0.0; };  // MB/s
  std::cout << "| message | bytes fory / pb | op | Aster C++ ns (MB/s) | protobuf C++ ns (MB/s) | "
               "pyfory 0.16 ns (MB/s) | pb ÷ Aster | pyfory ÷ Aster |\n"
               "|---|---|---|---|---|---|---|---|\n";
  for (const char* name : {"small", "medium", "large"}) {
    for (int op = 0; op < 2; ++op) {
      const Row &a = fory[name], &b = pb[name];
      const Row* c = py.count(name) ? &py[name] : nullptr;
      double na = op ? a.dec : a.enc, nb = op ? b.dec : b.enc;
      double nc = c ? (op ? c->dec : c->enc) : 0;
      std::cout << fmt::format("| {} | {} / {} | {} | {:.0f} ({:.0f}) | {:.0f} ({:.0f}) | {} | {:.2f}x | {} |\n",
                               name, a.size, b.size, op ? "decode" : "encode", na, mbps(a, na), nb,
                               mbps(b, nb),
                               c ? fmt::format("{:.0f} ({:.0f})", nc, mbps(*c, nc)) : "n/a",
                               nb / na, c ? fmt::format("{:.1f}x", nc / na) : "n/a");
    }
  }
  std::cout << "\nmedium: Aster C++ bytes " << (identical ? "==" : "!=") << " pyfory bytes\n";
  return 0;
}
