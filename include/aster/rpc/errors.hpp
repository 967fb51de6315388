// The four error kinds of the typed RPC API (the seed's PermissionError, LookupError, RpcError,
// ConnectionError), mirroring what a 0.1.2 Python consumer raises
// (aster-rpc@0972ac9:bindings/python/aster/status.py, runtime.py `AsterClient`). Exceptions are
// used only at this typed surface; everything below returns Status / Result.
#pragma once

#include <stdexcept>
#include <string>

#include "aster/status.hpp"

namespace aster {

// A call ended with a non-OK status (a trailer from the producer, or a local failure such as a
// deadline). code() is one of 0.1.2's codes.
class RpcError : public std::runtime_error {
 public:
  explicit RpcError(Status status)
      : std::runtime_error(status.to_string()), status_(std::move(status)) {}
  RpcError(StatusCode code, std::string message) : RpcError(Status(code, std::move(message))) {}

  StatusCode code() const { return status_.code(); }
  const std::string& message() const { return status_.message(); }
  const Status& status() const { return status_; }

 private:
  Status status_;
};

// The producer does not offer the service (name + version), as 0.1.2's `AsterClient.client`.
class LookupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Admission was refused (0.1.2: AdmissionDeniedError, a PermissionError).
class PermissionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The producer could not be reached or the QUIC connection was lost.
class ConnectionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace aster
