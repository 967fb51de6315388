// `--rcan PATH` and `--identity PATH` for commands that connect as a consumer (`aster call`,
// `aster shell`): the credential presented at admission and the node key it is bound to
// (include/aster/trust/consumer_identity.hpp says how they are found; ASTER_IDENTITY_FILE stands
// in for --identity). 0.1.2's `aster call` and `aster shell` name the credential flag --rcan.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "aster/status.hpp"
#include "aster/trust/consumer_identity.hpp"

namespace aster::cli {

struct IdentityFlags {
  std::string rcan;
  std::string identity;
};

void add_identity_options(CLI::App& command, IdentityFlags& flags);

// Reads the files the flags (or ASTER_IDENTITY_FILE) name; nothing named → an empty identity.
Result<trust::ConsumerIdentity> load_identity(const IdentityFlags& flags);

}  // namespace aster::cli
