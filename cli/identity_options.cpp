#include "identity_options.hpp"

namespace aster::cli {

void add_identity_options(CLI::App& command, IdentityFlags& flags) {
  command.add_option("--rcan", flags.rcan,
                     "Enrollment credential to present: a .aster-identity (aster enroll node) or "
                     "a credential JSON (aster trust sign)")
      ->type_name("PATH");
  command.add_option("--identity", flags.identity,
                     "The .aster-identity whose node key (and consumer credential) to use "
                     "(default: $ASTER_IDENTITY_FILE)")
      ->type_name("PATH");
}

Result<trust::ConsumerIdentity> load_identity(const IdentityFlags& flags) {
  return trust::load_consumer_identity(trust::consumer_identity_files(flags.rcan, flags.identity));
}

}  // namespace aster::cli
