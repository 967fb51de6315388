// `aster keygen root|producer` and `aster trust keygen|sign`: root keys and offline-signed
// credentials, with aster-cli 0.1.2's flags, files and defaults
// (aster-rpc@0972ac9:cli/aster_cli/keygen.py, trust.py). Private keys go only into files made
// with mode 0600; nothing secret is printed.
//
// Differences from 0.1.2 (docs/compatibility.md "Keys and credentials"): no OS keyring (the
// key file is the only copy, and we say so); `keygen root` refuses an existing --out instead of
// putting a new key in the profile while the file keeps the old one; `trust sign` checks the
// endpoint id (64 hex, written lowercase) and writes its file with mode 0600.
#include <fmt/core.h>

#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "aster/hex.hpp"
#include "aster/trust/credentials.hpp"
#include "aster/trust/key_files.hpp"
#include "commands.hpp"
#include "credential_time.hpp"
#include "operator_config.hpp"
#include "terminal_text.hpp"

namespace aster::cli {
namespace {

namespace fs = std::filesystem;
using trust::SecretSeed;

Status with_path(const Status& status, const fs::path& path) {
  return Status(status.code(), path.string() + ": " + status.message());
}

// Writes root.key (0600, never over an existing file) and root.pub beside it (if absent).
// Returns whether the .pub file was written.
Result<bool> write_root_key_files(const fs::path& key_path, const SecretSeed& seed) {
  ASTER_RETURN_IF_ERROR(trust::create_private_file(key_path, trust::root_key_file_json(seed)));
  const fs::path pub_path = trust::public_key_path_for(key_path);
  Status pub = trust::create_public_file(pub_path, trust::root_pub_file_json(seed.public_key()));
  if (pub.code() == StatusCode::kAlreadyExists) return false;
  ASTER_RETURN_IF_ERROR(pub);
  return true;
}

struct KeygenRootOptions {
  std::string out;
  std::optional<std::string> profile;
};

Status run_keygen_root(const KeygenRootOptions& options) {
  const fs::path out = expand_user(options.out);
  if (fs::exists(out)) {
    return Status(StatusCode::kAlreadyExists,
                  "key file already exists: " + out.string() +
                      " (use a different --out or remove it; its key may be in use)");
  }
  ASTER_ASSIGN_OR_RETURN(auto config, OperatorConfig::load());
  const std::string profile = resolve_profile_name(options.profile, config);
  const bool created = !config.has_profile(profile);

  const SecretSeed seed = SecretSeed::generate();
  const std::string pub_hex = to_hex(seed.public_key());
  auto wrote_pub = write_root_key_files(out, seed);
  if (!wrote_pub) return with_path(wrote_pub.status(), out);
  config.profile(profile)["root_pubkey"] = pub_hex;
  ASTER_RETURN_IF_ERROR(config.save());

  if (created) fmt::print("Created profile '{}'.\n", escape_for_terminal(profile));
  fmt::print("  Root private key written to: {} (mode 0600; this tool keeps no keyring copy)\n",
             escape_for_terminal(out.string()));
  if (*wrote_pub) {
    fmt::print("  Public key written to:  {}\n",
               escape_for_terminal(trust::public_key_path_for(out).string()));
  }
  fmt::print("  Root public key saved to profile '{}'\n\n", escape_for_terminal(profile));
  fmt::print("  Profile    : {}\n  public_key : {}\n  private_key: {}\n\n",
             escape_for_terminal(profile), pub_hex, escape_for_terminal(out.string()));
  fmt::print("Keep root.key secret. Share root.pub with nodes that need to verify credentials.\n");
  return Status::ok();
}

Status run_keygen_producer(const std::string& out_option) {
  const fs::path out = expand_user(out_option);
  if (fs::exists(out)) {
    return Status(StatusCode::kAlreadyExists, "key file already exists: " + out.string());
  }
  const SecretSeed seed = SecretSeed::generate();
  const std::string node_id = to_hex(seed.public_key());
  // keygen.py writes {"secret_key": <hex seed>, "node_id": <endpoint id>} (hex here, base64 in
  // .aster-identity).
  const std::string text = "{\n  \"secret_key\": \"" + seed.to_hex() +
                           "\",\n  \"node_id\": \"" + node_id + "\"\n}\n";
  Status written = trust::create_private_file(out, text);
  if (!written.is_ok()) return with_path(written, out);
  fmt::print("Producer key written to: {}\n  node_id : {}\n\n", escape_for_terminal(out.string()),
             node_id);
  fmt::print("Next step -- sign an enrollment credential for this producer:\n"
             "  aster trust sign --root-key <root.key> --type producer --endpoint-id {} "
             "--out enrollment.token\n",
             node_id);
  return Status::ok();
}

Status run_trust_keygen(const std::string& out_option) {
  const fs::path out = expand_user(out_option);
  if (fs::exists(out)) {
    return Status(StatusCode::kAlreadyExists,
                  "key file already exists: " + out.string() +
                      " (use a different path or remove the existing file)");
  }
  const SecretSeed seed = SecretSeed::generate();
  auto wrote_pub = write_root_key_files(out, seed);
  if (!wrote_pub) return with_path(wrote_pub.status(), out);
  const fs::path pub = trust::public_key_path_for(out);
  if (*wrote_pub) {
    fmt::print("Root private key written to: {}\nRoot public key written to:  {}\n",
               escape_for_terminal(out.string()), escape_for_terminal(pub.string()));
  } else {
    fmt::print("Root key pair written to: {}\n  (public key file already exists: {})\n",
               escape_for_terminal(out.string()), escape_for_terminal(pub.string()));
  }
  fmt::print("  Public key:  {}\n", to_hex(seed.public_key()));
  fmt::print("Keep root.key secret. Share root.pub with nodes that need to verify credentials.\n");
  return Status::ok();
}

struct TrustSignOptions {
  std::string root_key;
  std::string endpoint_id;
  std::string attributes;
  std::string expires;
  std::string type = "producer";
  std::string out = ".aster/credential.json";
};

Result<trust::RootKey> load_root_key(const fs::path& path) {
  auto text = trust::read_small_file(path);
  if (!text) {
    if (text.status().code() == StatusCode::kNotFound) {
      return Status(StatusCode::kNotFound, "key file not found: " + path.string());
    }
    return text.status();
  }
  auto key = trust::parse_root_key_file(*text);
  if (!key) {
    return Status(StatusCode::kInvalidArgument,
                  "invalid key file " + path.string() + ": " + key.status().message());
  }
  return key;
}

// A lowercase 64-hex endpoint id (what a producer compares with the QUIC peer id).
Result<std::string> checked_endpoint_id(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text.size() != 64 || text.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status(StatusCode::kInvalidArgument,
                  "--endpoint-id must be an endpoint id (64 hex digits)");
  }
  return text;
}

Status run_trust_sign(const TrustSignOptions& options) {
  ASTER_ASSIGN_OR_RETURN(auto root, load_root_key(expand_user(options.root_key)));
  trust::Attributes attributes;
  if (!options.attributes.empty()) {
    auto doc = nlohmann::json::parse(options.attributes, nullptr, false);
    if (doc.is_discarded()) return Status(StatusCode::kInvalidArgument, "invalid --attributes JSON");
    auto parsed = trust::attributes_from_json(doc);
    if (!parsed) return Status(StatusCode::kInvalidArgument, "--attributes: " + parsed.status().message());
    attributes = std::move(*parsed);
  }
  int64_t expires_at = unix_now() + 30 * 86400;
  if (!options.expires.empty()) {
    auto parsed = parse_iso8601(options.expires);
    if (!parsed) return Status(StatusCode::kInvalidArgument, "invalid --expires format: " + options.expires);
    expires_at = *parsed;
  }
  if (expires_at < 0) return Status(StatusCode::kInvalidArgument, "--expires is before 1970");
  std::optional<std::string> endpoint_id;
  if (!options.endpoint_id.empty()) {
    ASTER_ASSIGN_OR_RETURN(endpoint_id, checked_endpoint_id(options.endpoint_id));
  }

  std::string file;
  if (options.type == "producer") {
    if (!endpoint_id) {
      return Status(StatusCode::kInvalidArgument,
                    "--endpoint-id is required for producer credentials");
    }
    trust::ProducerCredential cred{*endpoint_id, root.public_key,
                                   static_cast<uint64_t>(expires_at), attributes, {}};
    trust::sign(cred, root.private_key);
    file = trust::to_credential_file_json(cred);
  } else {
    trust::ConsumerCredential cred;
    cred.type = options.type == "ott" ? trust::ConsumerCredentialType::kOtt
                                      : trust::ConsumerCredentialType::kPolicy;
    cred.root_pubkey = root.public_key;
    cred.expires_at = static_cast<uint64_t>(expires_at);
    cred.attributes = attributes;
    cred.endpoint_id = endpoint_id;
    if (cred.type == trust::ConsumerCredentialType::kOtt) cred.nonce = trust::random_nonce();
    trust::sign(cred, root.private_key);
    file = trust::to_credential_file_json(cred);
  }
  const fs::path out = expand_user(options.out);
  Status written = trust::replace_private_file(out, file);
  if (!written.is_ok()) return with_path(written, out);
  fmt::print("Signed credential written to: {}\n  Type:       {}\n  Expires at: {}\n",
             escape_for_terminal(out.string()), options.type, format_utc_iso8601(expires_at));
  return Status::ok();
}

}  // namespace

void add_trust_commands(CLI::App& app, CommandContext& context) {
  const std::string default_root_key = (aster_home() / "root.key").string();

  auto* keygen = app.add_subcommand("keygen", "generate cryptographic keys");
  auto root_options = std::make_shared<KeygenRootOptions>();
  root_options->out = default_root_key;
  auto* root = keygen->add_subcommand("root", "generate a root ed25519 key pair");
  root->add_option("--out", root_options->out,
                   "output path for the key JSON (default: ~/.aster/root.key)")
      ->option_text("PATH");
  root->add_option("-p,--profile", root_options->profile,
                   "profile to store the public key in (default: active)")
      ->option_text("NAME");
  root->footer(
      "Writes the key pair (mode 0600) and root.pub beside it, and the public key into\n"
      "~/.aster/config.toml under [profiles.<name>]. Refuses an existing --out.");
  root->callback([root_options, &context] { context.finish(run_keygen_root(*root_options)); });

  auto producer_out = std::make_shared<std::string>((aster_home() / "node.key").string());
  auto* producer = keygen->add_subcommand("producer", "generate a stable producer node key");
  producer->add_option("--out", *producer_out, "output path (default: ~/.aster/node.key)")
      ->option_text("PATH");
  producer->callback(
      [producer_out, &context] { context.finish(run_keygen_producer(*producer_out)); });

  auto* trust_group = app.add_subcommand("trust", "trust and credential management (offline)");
  auto keygen_out = std::make_shared<std::string>(default_root_key);
  auto* trust_keygen = trust_group->add_subcommand("keygen", "generate a new ed25519 root key pair");
  trust_keygen->add_option("--out-key", *keygen_out,
                           "output path for the key pair JSON (default: ~/.aster/root.key)")
      ->option_text("PATH");
  trust_keygen->callback(
      [keygen_out, &context] { context.finish(run_trust_keygen(*keygen_out)); });

  auto sign_options = std::make_shared<TrustSignOptions>();
  auto* sign = trust_group->add_subcommand("sign", "sign an enrollment credential offline");
  sign->add_option("--root-key", sign_options->root_key, "path to the root key JSON")
      ->required()
      ->option_text("PATH");
  sign->add_option("--endpoint-id", sign_options->endpoint_id, "endpoint id to bind")
      ->option_text("HEX");
  sign->add_option("--attributes", sign_options->attributes,
                   "attributes JSON, e.g. '{\"aster.role\":\"producer\"}'")
      ->option_text("JSON");
  sign->add_option("--expires", sign_options->expires,
                   "expiry in ISO 8601, e.g. 2026-01-01T00:00:00Z (default: +30 days)")
      ->option_text("ISO8601");
  sign->add_option("--type", sign_options->type, "credential type (default: producer)")
      ->check(CLI::IsMember({"producer", "policy", "ott"}));
  sign->add_option("--out", sign_options->out,
                   "output path for the signed credential JSON (default: .aster/credential.json)")
      ->option_text("PATH");
  sign->callback([sign_options, &context] { context.finish(run_trust_sign(*sign_options)); });
}

}  // namespace aster::cli
