// The epoll descriptor of an io_context's reactor, for the shared shape's drive to watch
// (runtime_core.hpp `reactor_descriptor`, docs/transport.md "Thread shape").
//
// Asio creates the reactor with the io_context's first timer, socket, descriptor or signal set
// and keeps every one of them in one epoll set (asio/detail/impl/epoll_reactor.ipp: timers
// through a timerfd in the same set), so that descriptor turns readable whenever Asio has
// I/O or an expired timer to complete. Asio 1.22 keeps it private
// (asio/detail/epoll_reactor.hpp `epoll_fd_`) and has no accessor; an explicit instantiation
// may name a private member (C++20 [temp.spec.general]/6: the usual access checking rules do
// not apply to names in an explicit instantiation), which is how it is read here. Only for
// the Asio this was written against: with any other version (or a reactor other than epoll)
// the drive keeps its periodic idle tick.
#include <asio/io_context.hpp>
#include <asio/version.hpp>

#include "runtime_core.hpp"

#if defined(ASIO_HAS_EPOLL) && ASIO_VERSION == 102201
#include <asio/detail/epoll_reactor.hpp>
#define ASTER_REACTOR_DESCRIPTOR 1
#else
#include <asio/detail/reactor.hpp>
#endif

namespace aster::transport::detail {

#ifdef ASTER_REACTOR_DESCRIPTOR
namespace {

struct EpollFdMember {
  using type = int asio::detail::epoll_reactor::*;
};
template <typename Tag, typename Tag::type Member>
struct ExposeMember {
  friend typename Tag::type member_of(Tag) { return Member; }
};
typename EpollFdMember::type member_of(EpollFdMember);
template struct ExposeMember<EpollFdMember, &asio::detail::epoll_reactor::epoll_fd_>;

}  // namespace

int reactor_descriptor(asio::io_context& io) {
  // has_service, not use_service: use_service would create the reactor (and with it an
  // epoll_wait in every io_context::poll()) in a program that has no use for one.
  if (!asio::has_service<asio::detail::epoll_reactor>(io)) return kNoReactor;
  return asio::use_service<asio::detail::epoll_reactor>(io).*member_of(EpollFdMember{});
}
#else
int reactor_descriptor(asio::io_context& io) {
  return asio::has_service<asio::detail::reactor>(io) ? kReactorNotWatchable : kNoReactor;
}
#endif

}  // namespace aster::transport::detail
