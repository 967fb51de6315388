// Implementation detail of the transport's public handles: one owned bridge handle (a
// generational u64 from bridge/include/aster_iroh.h) plus the runtime it belongs to. Move-only;
// destroying it frees the handle in the bridge. Endpoint, Connection, SendStream, RecvStream
// and Chunk each hold one instead of repeating the move/release code.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

namespace aster::transport::detail {

class RuntimeCore;
class Inbox;
struct HandleAccess;  // src/transport/runtime_core.hpp: builds public objects from handles

enum class HandleKind : uint8_t { kEndpoint, kConnection, kSend, kRecv, kLease, kDoc };

class BridgeHandle {
 public:
  BridgeHandle() = default;
  BridgeHandle(std::shared_ptr<RuntimeCore> core, uint64_t id, HandleKind kind) noexcept
      : core_(std::move(core)), id_(id), kind_(kind) {}
  BridgeHandle(BridgeHandle&& other) noexcept
      : core_(std::move(other.core_)), id_(std::exchange(other.id_, 0)), kind_(other.kind_) {}
  BridgeHandle& operator=(BridgeHandle&& other) noexcept {
    if (this != &other) {
      if (core_) release();  // most targets are empty: no out-of-line call (as ~BridgeHandle)
      core_ = std::move(other.core_);
      id_ = std::exchange(other.id_, 0);
      kind_ = other.kind_;
    }
    return *this;
  }
  BridgeHandle(const BridgeHandle&) = delete;
  BridgeHandle& operator=(const BridgeHandle&) = delete;
  // Moved-from handles (most of those destroyed on a call's path) skip the out-of-line call:
  // it was 2% of a one-thread profile of the echo, nearly all of it call overhead.
  ~BridgeHandle() {
    if (core_) release();
  }

  explicit operator bool() const { return core_ && id_ != 0; }
  uint64_t id() const { return id_; }
  const std::shared_ptr<RuntimeCore>& core() const { return core_; }

  // Frees the bridge handle now (no-op when empty).
  void release() noexcept;
  // Forgets the handle without freeing it: the bridge freed it itself (ABI 14,
  // ASTER_IROH_SEND_RELEASE).
  void disown() noexcept {
    id_ = 0;
    core_.reset();
  }
  // Frees handle `id` of `core` as release() would, for a handle no object was made for.
  static void release(RuntimeCore& core, uint64_t id, HandleKind kind) noexcept;

 private:
  std::shared_ptr<RuntimeCore> core_;
  uint64_t id_ = 0;
  HandleKind kind_ = HandleKind::kEndpoint;
};

}  // namespace aster::transport::detail
