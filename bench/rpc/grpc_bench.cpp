// bench/rpc: the gRPC C++ baseline (Debian 12's grpc++ 1.51), TLS on, the callback API on
// both sides, the same workloads and JSON output as aster_rpc_bench (rpc_bench.cpp).
//   aster_grpc_bench serve --cert C --key K        prints {"port": N}; serves until stdin closes
//   aster_grpc_bench client <port> --cert C        [--seconds S] [--stream-items N]
//                                                  [--bulk-kib K] [--bulk-in-flight N]
// The certificate is a self-signed one for "localhost" (bench/rpc/run.py makes it with
// openssl at run time); the client trusts exactly it and dials 127.0.0.1.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rpc_bench.grpc.pb.h"

namespace {

using aster_bench::Ack;
using aster_bench::Blob;
using aster_bench::StreamRequest;
using Clock = std::chrono::steady_clock;

struct Settings {
  double seconds = 2.0;
  int64_t stream_items = 10000;
  size_t bulk_kib = 1024;
  int bulk_in_flight = 4;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double us_since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

class BenchService final : public aster_bench::RpcBench::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const Blob* req,
                                 Blob* resp) override {
    resp->set_data(req->data());
    auto* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }

  grpc::ServerWriteReactor<Blob>* Stream(grpc::CallbackServerContext*,
                                         const StreamRequest* req) override {
    class Writer : public grpc::ServerWriteReactor<Blob> {
     public:
      Writer(int64_t count, int64_t size) : left_(count) {
        item_.set_data(std::string(static_cast<size_t>(size), 'Z'));
        Next();
      }
      void OnWriteDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
          return;
        }
        Next();
      }
      void OnDone() override { delete this; }

     private:
      void Next() {
        if (left_-- > 0) {
          StartWrite(&item_);
        } else {
          Finish(grpc::Status::OK);
        }
      }
      Blob item_;
      int64_t left_;
    };
    return new Writer(req->count(), req->size());
  }

  grpc::ServerUnaryReactor* Upload(grpc::CallbackServerContext* ctx, const Blob* req,
                                   Ack* resp) override {
    resp->set_size(static_cast<int64_t>(req->data().size()));
    auto* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }
};

int serve(const std::string& cert, const std::string& key) {
  grpc::SslServerCredentialsOptions tls;
  tls.pem_key_cert_pairs.push_back({read_file(key), read_file(cert)});
  BenchService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(64 << 20);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "error: gRPC server did not start\n";
    return 1;
  }
  std::cout << "{\"port\": " << port << "}" << std::endl;
  char c;
  while (std::cin.get(c)) {
  }  // until the driver closes our stdin
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}

// Shared by the callbacks of one phase.
struct Phase {
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
  std::vector<double> lat;
  size_t bytes = 0;
  size_t errors = 0;
  std::string first_error;
  Clock::time_point end;

  void error(const grpc::Status& st) {
    std::lock_guard lock(mu);
    if (errors++ == 0) first_error = st.error_message();
  }
  void worker_done() {
    std::lock_guard lock(mu);
    if (--running == 0) cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return running == 0; });
  }
};

struct EchoCall {
  grpc::ClientContext ctx;
  Blob req, resp;
  Clock::time_point t;
};

void issue_echo(aster_bench::RpcBench::Stub* stub, Phase* p, const std::string* payload) {
  auto call = std::make_shared<EchoCall>();
  call->req.set_data(*payload);
  call->t = Clock::now();
  stub->async()->Echo(&call->ctx, &call->req, &call->resp,
                      [stub, p, payload, call](grpc::Status st) {
                        if (st.ok() && call->resp.data().size() == payload->size()) {
                          std::lock_guard lock(p->mu);
                          p->lat.push_back(us_since(call->t));
                        } else {
                          p->error(st);
                        }
                        if (Clock::now() < p->end) {
                          issue_echo(stub, p, payload);
                        } else {
                          p->worker_done();
                        }
                      });
}

struct UploadCall {
  grpc::ClientContext ctx;
  Blob req;
  Ack resp;
};

void issue_upload(aster_bench::RpcBench::Stub* stub, Phase* p, const std::string* payload) {
  auto call = std::make_shared<UploadCall>();
  call->req.set_data(*payload);
  stub->async()->Upload(&call->ctx, &call->req, &call->resp,
                        [stub, p, payload, call](grpc::Status st) {
                          bool again = Clock::now() < p->end;
                          const bool whole =
                              static_cast<size_t>(call->resp.size()) == payload->size();
                          if (st.ok() && whole) {
                            std::lock_guard lock(p->mu);
                            p->bytes += payload->size();
                          } else {
                            p->error(st);
                            again = false;
                          }
                          if (again) {
                            issue_upload(stub, p, payload);
                          } else {
                            p->worker_done();
                          }
                        });
}

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1)))];
}

Clock::duration phase_length(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::string unary(aster_bench::RpcBench::Stub* stub, int in_flight, double seconds,
                  size_t* errors, std::string* first_error) {
  Phase p;
  const std::string payload(64, '\x07');
  p.running = in_flight;
  auto start = Clock::now();
  p.end = start + phase_length(seconds);
  for (int i = 0; i < in_flight; ++i) issue_echo(stub, &p, &payload);
  p.wait();
  const double secs = us_since(start) / 1e6;
  *errors += p.errors;
  if (first_error->empty()) *first_error = p.first_error;
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "{\"rps\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"calls\": %zu}",
                static_cast<double>(p.lat.size()) / secs, percentile(p.lat, 0.5),
                percentile(p.lat, 0.99), p.lat.size());
  return buf;
}

int client(const std::string& port, const std::string& cert, const Settings& s) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = read_file(cert);
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel =
      grpc::CreateCustomChannel("127.0.0.1:" + port, grpc::SslCredentials(tls), args);
  auto stub = aster_bench::RpcBench::NewStub(channel);
  size_t errors = 0;
  std::string first_error;
  (void)unary(stub.get(), 8, std::min(0.2, s.seconds), &errors, &first_error);  // warm-up
  const std::string u1 = unary(stub.get(), 1, s.seconds, &errors, &first_error);
  const std::string u64 = unary(stub.get(), 64, s.seconds, &errors, &first_error);

  size_t items = 0;
  auto start = Clock::now();
  auto end = start + phase_length(s.seconds);
  do {
    grpc::ClientContext ctx;
    StreamRequest req;
    req.set_count(s.stream_items);
    req.set_size(64);
    auto reader = stub->Stream(&ctx, req);
    Blob item;
    while (reader->Read(&item)) ++items;
    grpc::Status st = reader->Finish();
    if (!st.ok()) {
      if (errors++ == 0) first_error = st.error_message();
      break;
    }
  } while (Clock::now() < end);
  const double stream_rate = static_cast<double>(items) / (us_since(start) / 1e6);

  std::string payload(s.bulk_kib << 10, '\0');
  std::mt19937_64 rng(42);
  for (auto& b : payload) b = static_cast<char>(rng());
  Phase bulk;
  bulk.running = s.bulk_in_flight;
  start = Clock::now();
  bulk.end = start + phase_length(s.seconds);
  for (int i = 0; i < s.bulk_in_flight; ++i) issue_upload(stub.get(), &bulk, &payload);
  bulk.wait();
  const double mbps = (static_cast<double>(bulk.bytes) / 1e6) / (us_since(start) / 1e6);
  errors += bulk.errors;
  if (first_error.empty()) first_error = bulk.first_error;
  for (char& c : first_error) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  std::printf(
      "{\"unary1\": %s, \"unary64\": %s, \"stream_msgs_per_s\": %.1f, \"bulk_mbps\": %.1f, "
      "\"errors\": %zu, \"first_error\": \"%s\"}\n",
      u1.c_str(), u64.c_str(), stream_rate, mbps, errors, first_error.c_str());
  return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto usage = [&] {
    std::fprintf(stderr,
                 "usage: %s serve --cert C --key K | client <port> --cert C [--seconds S] "
                 "[--stream-items N] [--bulk-kib K] [--bulk-in-flight N]\n",
                 argv[0]);
    return 2;
  };
  if (argc < 2) return usage();
  const std::string mode = argv[1];
  std::string port, cert, key;
  int i = 2;
  if (mode == "client") {
    if (argc < 3) return usage();
    port = argv[i++];
  } else if (mode != "serve") {
    return usage();
  }
  Settings s;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    if (a == "--cert") {
      cert = v;
    } else if (a == "--key") {
      key = v;
    } else if (a == "--seconds") {
      s.seconds = std::atof(v);
    } else if (a == "--stream-items") {
      s.stream_items = std::atoll(v);
    } else if (a == "--bulk-kib") {
      s.bulk_kib = std::strtoul(v, nullptr, 10);
    } else if (a == "--bulk-in-flight") {
      s.bulk_in_flight = std::max(1, std::atoi(v));
    } else {
      return usage();
    }
  }
  if (cert.empty()) return usage();
  if (mode == "serve") return key.empty() ? usage() : serve(cert, key);
  return client(port, cert, s);
}
