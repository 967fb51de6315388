// `aster fory decode|encode`: protoc --decode for Aster's Fory XLANG payloads (docs/cli.md).
//
// Types come from what a service publishes: its collection directory (manifest.json,
// contract.bin, types/<hash>.bin; contract::read_collection), or a manifest file plus,
// optionally, the directory of type blobs. Everything about types — name merging, enums,
// ANY fields — lives in contract::ManifestTypes; this file reads input, adds the option names
// to errors, and prints. Usage errors are CLI11 parse errors (main.cpp turns them into the
// usage exit code); runtime failures print one `error: …` line and exit 1.
#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"
#include "aster/contract/collection.hpp"
#include "aster/contract/identity.hpp"
#include "aster/contract/manifest.hpp"
#include "aster/contract/manifest_types.hpp"
#include "commands.hpp"

namespace aster::cli {
namespace {

namespace fs = std::filesystem;
using contract::ManifestTypes;

// Input read from stdin ("-") is capped: a Fory payload is at most 16 MiB in 0.1.2 frames
// (hex doubles it), and nothing larger is a sensible thing to paste.
constexpr size_t kMaxStdinBytes = 64u << 20;
constexpr size_t kMaxManifestBytes = 8u << 20;

struct ForyOptions {
  std::string collection;
  std::string manifest;
  std::string type;
  std::string types_dir;
  std::string input;
  bool verify = false;
};

Result<std::string> read_stdin() {
  std::string out;
  char buf[64 * 1024];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    out.append(buf, n);
    if (out.size() > kMaxStdinBytes) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("stdin: more than {} MiB (the limit for input on stdin)",
                                kMaxStdinBytes >> 20));
    }
  }
  if (std::ferror(stdin)) return Status(StatusCode::kUnavailable, "stdin: read failed");
  return out;
}

Status with_context(const Status& st, const std::string& context) {
  return Status(st.code(), context + ": " + st.message());
}

Result<ManifestTypes> load_types(const ForyOptions& o) {
  contract::CollectionReadOptions read_options;
  read_options.verify = o.verify;
  std::vector<contract::ContractManifest> manifests;
  std::vector<contract::TypeBlob> blobs;
  if (!o.collection.empty()) {
    auto c = contract::read_collection(o.collection, read_options);
    if (!c.is_ok()) return with_context(c.status(), "--collection " + o.collection);
    manifests.push_back(std::move(c->manifest));
    blobs = std::move(c->types);
  }
  if (!o.manifest.empty()) {
    // A regular file, a FIFO or /dev/stdin (process substitution): read to the end, capped.
    auto text = contract::read_file_capped(o.manifest, kMaxManifestBytes);
    if (!text.is_ok()) return with_context(text.status(), "--manifest");
    auto parsed = contract::parse_manifest_file(*text);
    if (!parsed.is_ok()) return with_context(parsed.status(), "--manifest " + o.manifest);
    manifests = std::move(parsed).value();  // replaces the collection's manifest
  }
  if (!o.types_dir.empty()) {
    auto more = contract::read_type_blobs(o.types_dir, read_options);
    if (!more.is_ok()) return with_context(more.status(), "--types " + o.types_dir);
    for (auto& b : *more) blobs.push_back(std::move(b));
  }
  return ManifestTypes(std::move(manifests), std::move(blobs));
}

Result<codec::TypeRef> find_type(ManifestTypes& types, const ForyOptions& o) {
  auto type = types.find_type(o.type);
  if (type.is_ok()) return type;
  std::string message = "--type " + o.type + ": " + type.status().message();
  if (type.status().code() == StatusCode::kNotFound && !types.has_type_blobs() &&
      message.find("types/<hash>.bin") != std::string::npos) {
    message += " (give the collection directory with --collection, or --types DIR)";
  }
  return Status(type.status().code(), message);
}

// Hex text (whitespace and a 0x prefix ignored), or raw bytes when "-" gives something that is
// not hex.
Result<std::vector<uint8_t>> payload_bytes(const std::string& arg) {
  std::string text;
  if (arg == "-") {
    ASTER_ASSIGN_OR_RETURN(text, read_stdin());
  } else {
    text = arg;
  }
  std::string hex;
  hex.reserve(text.size());
  bool is_hex = true;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    hex.push_back(c);
  }
  if (hex.size() > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.erase(0, 2);
  for (char c : hex) is_hex = is_hex && std::isxdigit(static_cast<unsigned char>(c));
  if (arg == "-" && !is_hex) return std::vector<uint8_t>(text.begin(), text.end());
  auto bytes = contract::from_hex(hex);
  if (!bytes.is_ok())
    return Status(StatusCode::kInvalidArgument, "payload: " + bytes.status().message());
  return bytes;
}

void check_usage(const ForyOptions& o) {
  if (o.collection.empty() && o.manifest.empty())
    throw CLI::RequiredError("--collection DIR or --manifest FILE");
  if (o.type.empty()) throw CLI::RequiredError("--type NAME");
  if (o.input.empty()) throw CLI::RequiredError("the input (hex, JSON or -)");
  if (o.input == "-" && (o.manifest == "-" || o.manifest == "/dev/stdin"))
    throw CLI::ValidationError("input", "stdin cannot carry both the manifest and the input");
  if (o.manifest == "-")
    throw CLI::ValidationError("--manifest", "use --manifest /dev/stdin to read it from stdin");
}

Status run_decode(const ForyOptions& o) {
  ASTER_ASSIGN_OR_RETURN(auto types, load_types(o));
  ASTER_ASSIGN_OR_RETURN(codec::TypeRef type, find_type(types, o));
  ASTER_ASSIGN_OR_RETURN(auto bytes, payload_bytes(o.input));
  ASTER_ASSIGN_OR_RETURN(Value value, codec::fory_decode_value(bytes, *type));
  ASTER_ASSIGN_OR_RETURN(std::string json, codec::json_encode_value(value, type.get()));
  fmt::print("{}\n", json);
  return Status::ok();
}

Status run_encode(const ForyOptions& o) {
  ASTER_ASSIGN_OR_RETURN(auto types, load_types(o));
  ASTER_ASSIGN_OR_RETURN(codec::TypeRef type, find_type(types, o));
  std::string json;
  if (o.input == "-") {
    ASTER_ASSIGN_OR_RETURN(json, read_stdin());
  } else {
    json = o.input;
  }
  ASTER_ASSIGN_OR_RETURN(Value value, codec::json_decode_value(json, *type));
  ASTER_ASSIGN_OR_RETURN(auto bytes, codec::fory_encode_value(value, *type));
  fmt::print("{}\n", contract::to_hex(bytes));
  return Status::ok();
}

void add_common(CLI::App& cmd, ForyOptions& o, const char* input_name, const char* input_help) {
  cmd.add_option("--collection", o.collection,
                 "the service's published collection: a directory with manifest.json, "
                 "contract.bin and types/<hash>.bin")
      ->type_name("DIR");
  cmd.add_option("--manifest", o.manifest,
                 "the service's manifest.json (0.1.2 format); a FIFO or /dev/stdin works too")
      ->type_name("FILE");
  cmd.add_option("--types", o.types_dir,
                 "directory of the contract's type blobs (types/<hash>.bin), which describe "
                 "nested types the manifest only names")
      ->type_name("DIR");
  cmd.add_option("--type", o.type,
                 "the message type: class name (Entry), wire tag (shop.Entry, shop/Entry) — "
                 "needed")
      ->type_name("NAME");
  cmd.add_flag("--verify", o.verify,
               "check every blob's BLAKE3 against its file name and contract.bin against "
               "the manifest's contract_id");
  cmd.add_option("input", o.input, input_help)->type_name(input_name);
}

}  // namespace

void add_fory_commands(CLI::App& app, CommandContext& context) {
  auto* fory = app.add_subcommand("fory", "decode or encode Fory XLANG payloads of a service");
  fory->require_subcommand(1);
  fory->footer(
      "Types come from the service's published collection (--collection DIR) or its manifest\n"
      "(--manifest FILE, with --types DIR for nested types). See 'aster fory decode --help'.");
  auto options = std::make_shared<ForyOptions>();

  auto* decode = fory->add_subcommand("decode", "print a Fory XLANG payload as JSON");
  add_common(*decode, *options, "HEX",
             "the payload as hex, or - to read it from stdin (hex or raw bytes, at most 64 MiB)");
  decode->footer(
      "Examples:\n"
      "  aster fory decode --collection shop/ --type Order 02ff1d...\n"
      "  aster fory decode --manifest shop/manifest.json --types shop/types --type shop/Order - "
      "< order.bin\n"
      "  aster fory decode --manifest <(curl -s .../manifest.json) --type Order 02ff1d...\n"
      "\nEnums print as their Python value (what the manifest lists), bytes as base64.\n"
      "Exit status: 0 on success, 1 when the input or the types are wrong, 2 on a usage "
      "error.");
  decode->callback([options, &context] {
    check_usage(*options);
    context.finish(run_decode(*options));
  });

  auto* encode =
      fory->add_subcommand("encode", "print the Fory XLANG bytes of a JSON value as hex");
  add_common(*encode, *options, "JSON", "the value as JSON, or - to read it from stdin");
  encode->footer(
      "Examples:\n"
      "  aster fory encode --collection shop/ --type Order '{\"id\":\"o1\",\"side\":1}'\n"
      "  aster fory encode --manifest shop/manifest.json --type shop.Order - < order.json\n"
      "\nJSON: bytes as base64, enums by value (an ordinal is accepted where values are not "
      "numbers),\nNaN/Infinity only for float fields; unknown or repeated keys are refused.\n"
      "Exit status: 0 on success, 1 when the input or the types are wrong, 2 on a usage "
      "error.");
  encode->callback([options, &context] {
    check_usage(*options);
    context.finish(run_encode(*options));
  });
}

}  // namespace aster::cli
