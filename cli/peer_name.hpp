// `aster shell PEER` where PEER may be a name: 0.1.2's shell looks a name-like argument up in
// the `[[peers]]` of `./.aster-identity` and dials that peer's endpoint id
// (aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_resolve_peer_arg`, `_lookup_peer_name`).
#pragma once

#include <filesystem>
#include <string>

#include "aster/status.hpp"

namespace aster::cli {

struct ResolvedPeer {
  std::string address;  // what to dial: the argument, or the named peer's endpoint id
  std::string display;  // the name to show for it; "" = the address's short form
};

// An `aster1…` ticket, a base64 NodeAddr or a hex endpoint id passes through (with its name
// when `.aster-identity` in `dir` knows its endpoint id). A name-like argument (shorter than 64
// characters, no `=`, not all hex) must name a peer there: kNotFound when it does not, with the
// names the file knows, or when there is no such file. A name-like argument that is also a
// valid address (a short base64 NodeAddr) is dialled as one when no peer has that name.
Result<ResolvedPeer> resolve_peer_argument(const std::string& argument,
                                           const std::filesystem::path& dir);

}  // namespace aster::cli
