// `aster enroll node`: sign an enrollment credential for this node with the root key and add
// it to `.aster-identity`, with aster-cli 0.1.2's flags and files
// (aster-rpc@0972ac9:cli/aster_cli/enroll.py `cmd_enroll_node`, signer.py `LocalSigner`,
// identity.py).
//
// Where we differ (docs/compatibility.md "Keys and credentials"): the identity file holds every
// signed attribute, so `--role consumer` without `-c` (or with `-c consumer`) makes a file a
// 0.1.2 producer accepts — 0.1.2 leaves `aster.role` out and its producer then refuses the
// signature; `-t ott` gets a nonce (0.1.2 makes none, so its OTT credentials never verify
// structurally); a --root-key that does not exist is an error (0.1.2 silently falls back to
// the keyring and ~/.aster/root.key); the endpoint id is derived from the node key.
#include <fmt/core.h>

#include <memory>
#include <optional>

#include "aster/hex.hpp"
#include "aster/trust/credentials.hpp"
#include "aster/trust/identity_file.hpp"
#include "aster/trust/key_files.hpp"
#include "commands.hpp"
#include "credential_time.hpp"
#include "operator_config.hpp"
#include "terminal_text.hpp"

namespace aster::cli {
namespace {

namespace fs = std::filesystem;
using trust::SecretSeed;

struct EnrollOptions {
  std::optional<std::string> profile;
  std::string role;
  std::string name;
  std::string type = "policy";
  std::string attributes;
  std::string expires;
  std::string root_key;
  std::string signer;
  std::string identity;
  std::string capabilities;
  std::string out = ".aster-identity";
  bool quiet = false;
};

// `-a "k1=v1,k2=v2"` (enroll.py `_parse_attributes`: pairs without `=` are skipped).
trust::Attributes parse_attribute_pairs(std::string_view text) {
  auto strip = [](std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return std::string();
    return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
  };
  trust::Attributes attributes;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    std::string pair = strip(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (auto eq = pair.find('='); eq != std::string::npos) {
      attributes[strip(std::string_view(pair).substr(0, eq))] =
          strip(std::string_view(pair).substr(eq + 1));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return attributes;
}

// signer.py `LocalSigner`: --root-key, then (0.1.2 only) the OS keyring, then
// ~/.aster/root.key.
Result<trust::RootKey> resolve_root_key(const EnrollOptions& options,
                                        const std::string& profile) {
  fs::path path;
  if (!options.root_key.empty()) {
    path = expand_user(options.root_key);
    if (!fs::exists(path)) {
      return Status(StatusCode::kNotFound, "--root-key: no such file: " + path.string());
    }
  } else {
    path = aster_home() / "root.key";
    if (!fs::exists(path)) {
      return Status(StatusCode::kNotFound,
                    "no root private key found for profile '" + profile +
                        "'. Run: aster keygen root --profile " + profile +
                        ", or pass --root-key <path-to-root.key>");
    }
  }
  ASTER_ASSIGN_OR_RETURN(auto text, trust::read_small_file(path));
  auto key = trust::parse_root_key_file(text);
  if (!key) {
    return Status(StatusCode::kInvalidArgument,
                  "invalid root key file " + path.string() + ": " + key.status().message());
  }
  return key;
}

// The nearest enclosing git work tree (a `.git` directory or file), as `git rev-parse
// --show-toplevel` would find it for an ordinary checkout.
std::optional<fs::path> git_toplevel(const fs::path& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (ec) return std::nullopt;
  for (;;) {
    if (fs::exists(dir / ".git", ec)) return dir;
    if (!dir.has_parent_path() || dir.parent_path() == dir) return std::nullopt;
    dir = dir.parent_path();
  }
}

// identity.py `_ensure_gitignored`: inside a git work tree, `.aster-identity` goes into the
// top-level .gitignore (once).
void ensure_gitignored(const fs::path& identity_path, bool quiet) {
  auto top = git_toplevel(fs::absolute(identity_path).parent_path());
  if (!top) return;
  const fs::path gitignore = *top / ".gitignore";
  const std::string entry = ".aster-identity";
  std::string text;
  if (auto existing = trust::read_small_file(gitignore, 16 << 20)) {
    text = *existing;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      std::string_view line(text.data() + start,
                            (end == std::string::npos ? text.size() : end) - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line == entry || line == "/" + entry) return;
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (!text.empty() && text.back() != '\n') text += "\n";
    text += "\n# Aster node secret -- do not commit\n" + entry + "\n";
  } else {
    text = "# Aster node secret -- do not commit\n" + entry + "\n";
  }
  std::FILE* f = std::fopen(gitignore.c_str(), "w");
  if (f == nullptr) return;  // best effort, as in 0.1.2
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  if (!quiet) fmt::print("Added {} to {}\n", entry, escape_for_terminal(gitignore.string()));
}

// pathlib's str(Path(p)): "./x" → "x", repeated slashes folded.
std::string python_path_text(const std::string& text) {
  std::string out = fs::path(text).lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out.empty() ? "." : out;
}

Status run_enroll(const EnrollOptions& options) {
  if (!options.signer.empty() && options.signer != "local") {
    return Status(StatusCode::kInvalidArgument,
                  "unknown signer type '" + options.signer + "' (supported: local)");
  }
  ASTER_ASSIGN_OR_RETURN(auto config, OperatorConfig::load());
  const std::string profile = resolve_profile_name(options.profile, config);
  ASTER_ASSIGN_OR_RETURN(auto root, resolve_root_key(options, profile));

  const std::string identity_text = options.identity.empty() ? options.out : options.identity;
  const fs::path identity_path = expand_user(identity_text);
  trust::IdentityFile identity;
  if (fs::exists(identity_path)) {
    ASTER_ASSIGN_OR_RETURN(auto text, trust::read_small_file(identity_path));
    auto parsed = trust::IdentityFile::parse(text);
    if (!parsed) {
      return Status(parsed.status().code(),
                    identity_path.string() + ": " + parsed.status().message());
    }
    identity = std::move(*parsed);
  }
  if (identity.secret_key) {
    if (!options.quiet) {
      fmt::print("Reusing node key from {} (endpoint_id={}...)\n",
                 escape_for_terminal(python_path_text(identity_text)),
                 to_hex(identity.secret_key->public_key()).substr(0, 16));
    }
  } else {
    identity.secret_key = SecretSeed::generate();
    if (!options.quiet) {
      fmt::print("Generated new node key (endpoint_id={}...)\n",
                 to_hex(identity.secret_key->public_key()).substr(0, 16));
    }
  }
  const std::string endpoint_id = to_hex(identity.secret_key->public_key());
  identity.endpoint_id = endpoint_id;

  const int64_t now = unix_now();
  int64_t expires_at = now + 30 * 86400;
  if (!options.expires.empty()) {
    ASTER_ASSIGN_OR_RETURN(expires_at, parse_expiry(options.expires, now));
  }
  if (expires_at < 0) return Status(StatusCode::kInvalidArgument, "--expires is before 1970");
  trust::Attributes attributes = parse_attribute_pairs(options.attributes);
  if (!options.capabilities.empty()) attributes[std::string(trust::kAttrRole)] = options.capabilities;
  attributes.try_emplace(std::string(trust::kAttrRole), options.role);

  trust::IdentityPeer peer;
  peer.name = options.name;
  peer.role = options.role;
  peer.root_pubkey = to_hex(root.public_key);
  peer.endpoint_id = endpoint_id;
  peer.expires_at = static_cast<uint64_t>(expires_at);
  peer.attributes = attributes;  // all of them (0.1.2 drops aster.role == role: D4)
  if (options.role == "producer") {
    trust::ProducerCredential cred{endpoint_id, root.public_key, *peer.expires_at, attributes, {}};
    trust::sign(cred, root.private_key);
    peer.type = "policy";  // what 0.1.2 writes for a producer credential
    peer.signature = to_hex(cred.signature);
  } else {
    trust::ConsumerCredential cred;
    cred.type = options.type == "ott" ? trust::ConsumerCredentialType::kOtt
                                      : trust::ConsumerCredentialType::kPolicy;
    cred.root_pubkey = root.public_key;
    cred.expires_at = *peer.expires_at;
    cred.attributes = attributes;
    cred.endpoint_id = endpoint_id;
    if (cred.type == trust::ConsumerCredentialType::kOtt) {
      cred.nonce = trust::random_nonce();
      peer.nonce = to_hex(*cred.nonce);
    }
    trust::sign(cred, root.private_key);
    peer.type = std::string(trust::to_string(cred.type));
    peer.signature = to_hex(cred.signature);
  }
  identity.add_peer(std::move(peer));
  Status written = trust::replace_private_file(identity_path, identity.to_toml());
  if (!written.is_ok()) {
    return Status(written.code(), identity_path.string() + ": " + written.message());
  }
  ensure_gitignored(identity_path, options.quiet);

  const std::string expiry = format_utc_iso8601(expires_at);
  const std::string shown_path = python_path_text(identity_text);
  if (options.quiet) {
    fmt::print("{} {} {}\n", escape_for_terminal(shown_path), endpoint_id, expiry);
    return Status::ok();
  }
  const std::string capabilities = attributes.at(std::string(trust::kAttrRole));
  fmt::print("\n✓ Enrollment credential created\n\n");
  fmt::print("  File:         {}\n", escape_for_terminal(fs::absolute(identity_path).lexically_normal().string()));
  fmt::print("  Format:       TOML (.aster-identity) with [node] + [[peers]] sections\n\n");
  fmt::print("  Peer:         {}\n", escape_for_terminal(options.name));
  fmt::print("  Role:         {} ({})\n", options.role,
             options.role == "producer" ? "policy" : options.type);
  fmt::print("  Capabilities: {}\n", escape_for_terminal(capabilities));
  fmt::print("  Endpoint ID:  {}...\n", endpoint_id.substr(0, 16));
  fmt::print("  Trust root:   {}...\n", to_hex(root.public_key).substr(0, 16));
  fmt::print("  Expires:      {}\n\n", expiry);
  if (options.role == "producer") {
    fmt::print("  Use it:\n  Set ASTER_IDENTITY_FILE={} when starting your server,\n"
               "  or place .aster-identity in the working directory.\n\n",
               escape_for_terminal(shown_path));
  } else {
    fmt::print("  Use it:\n  aster shell <peer-addr> --rcan {0}\n"
               "  aster call <peer-addr> Service.method '<json>' --rcan {0}\n\n",
               escape_for_terminal(shown_path));
  }
  fmt::print("  ⚠  Keep this file secret -- it is both an identity AND a credential.\n");
  fmt::print("  Anyone with this file can act as '{}' until {}.\n\n",
             escape_for_terminal(options.name), expiry.substr(0, 10));
  return Status::ok();
}

}  // namespace

void add_enroll_commands(CLI::App& app, CommandContext& context) {
  auto* enroll = app.add_subcommand("enroll", "enroll a node in a mesh");
  auto o = std::make_shared<EnrollOptions>();
  auto* node = enroll->add_subcommand("node", "enroll this node (node key + signed credential)");
  node->add_option("-p,--profile", o->profile, "operator profile (default: active)");
  node->add_option("-r,--role", o->role, "producer or consumer")
      ->required()
      ->check(CLI::IsMember({"producer", "consumer"}));
  node->add_option("-n,--name", o->name, "human label for this peer entry")->required();
  node->add_option("-t,--type", o->type, "credential type (default: policy)")
      ->check(CLI::IsMember({"policy", "ott"}));
  node->add_option("-a,--attributes", o->attributes,
                   "comma-separated key=value pairs, e.g. \"aster.name=billing\"");
  node->add_option("-e,--expires", o->expires, "expiry: \"30d\", \"24h\" or ISO 8601 (default: 30d)");
  node->add_option("--root-key", o->root_key, "root key JSON (default: ~/.aster/root.key)")
      ->option_text("PATH");
  node->add_option("--signer", o->signer, "signer type: local (the only one)");
  node->add_option("-i,--identity", o->identity, "existing .aster-identity to add the peer to");
  node->add_option("-c,--capabilities", o->capabilities,
                   "comma-separated capabilities (sets aster.role), e.g. ops.status,ops.logs");
  node->add_option("-o,--out", o->out, "output path (default: .aster-identity)");
  node->add_flag("-q,--quiet", o->quiet, "print one line: PATH ENDPOINT_ID EXPIRES_ISO");
  node->footer(
      "Reuses the node key of an existing identity file; a peer with the same --name is\n"
      "replaced. The file is written with mode 0600 and holds a secret key: do not share it.");
  node->callback([o, &context] { context.finish(run_enroll(*o)); });
}

}  // namespace aster::cli
