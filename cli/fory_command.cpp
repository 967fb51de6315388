// `aster fory decode|encode`: protoc --decode for Aster's Fory XLANG payloads (issue 4).
//
//   aster fory decode --manifest m.json --type EchoRequest [--types dir] <hex | ->
//   aster fory encode --manifest m.json --type demo/EchoRequest [--types dir] '<json>' | -
//
// --type is the class name as the manifest's request_type/response_type gives it, or the wire
// tag. A 0.1.2 manifest describes request and response types only; nested structs come from
// the contract's canonical type blobs (types/<hash>.bin of the published collection) in
// --types <dir> (the directory holding the .bin files, or the collection directory with a
// types/ subdirectory). JSON follows the codec's conventions (include/aster/codec/json.hpp).
// Any bad input: one line naming the offending field or byte offset, exit 1.
#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"
#include "aster/contract/canonical_reader.hpp"
#include "aster/contract/identity.hpp"
#include "aster/contract/manifest.hpp"
#include "aster/contract/manifest_types.hpp"
#include "commands.hpp"

namespace aster::cli {
namespace {

namespace fs = std::filesystem;
using contract::ManifestTypes;

struct ForyOptions {
  std::string manifest;
  std::string type;
  std::string types_dir;
  std::string input;
};

Result<std::string> read_file(const fs::path& path, size_t max_bytes) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return Status(StatusCode::kNotFound, path.string() + ": " + ec.message());
  if (size > max_bytes) {
    return Status(StatusCode::kInvalidArgument,
                  path.string() + ": file larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, path.string() + ": cannot open");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string read_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), {});
}

Result<ManifestTypes> load_types(const ForyOptions& o) {
  auto text = read_file(o.manifest, 8u << 20);
  ASTER_RETURN_IF_ERROR(text);
  auto manifests = contract::parse_manifest_file(*text);
  if (!manifests.is_ok()) {
    return Status(manifests.status().code(), o.manifest + ": " + manifests.status().message());
  }
  std::vector<contract::TypeDef> type_defs;
  if (!o.types_dir.empty()) {
    fs::path dir = o.types_dir;
    if (fs::is_directory(dir / "types")) dir /= "types";
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return Status(StatusCode::kNotFound, "--types " + o.types_dir + ": " + ec.message());
    for (const auto& entry : it) {
      if (entry.path().extension() != ".bin") continue;
      auto blob = read_file(entry.path(), 1u << 20);
      ASTER_RETURN_IF_ERROR(blob);
      auto td =
          contract::read_type_def({reinterpret_cast<const uint8_t*>(blob->data()), blob->size()});
      if (!td.is_ok()) {
        return Status(td.status().code(), entry.path().string() + ": " + td.status().message());
      }
      type_defs.push_back(std::move(td).value());
    }
  }
  return ManifestTypes(std::move(manifests).value(), std::move(type_defs));
}

// Hex text (whitespace ignored), or raw bytes when "-" gives something that is not hex.
Result<std::vector<uint8_t>> payload_bytes(const std::string& arg) {
  std::string text = arg == "-" ? read_stdin() : arg;
  std::string hex;
  bool is_hex = true;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) is_hex = false;
    hex.push_back(c);
  }
  if (arg == "-" && !is_hex) return std::vector<uint8_t>(text.begin(), text.end());
  if (hex.size() > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.erase(0, 2);
  auto bytes = contract::from_hex(hex);
  if (!bytes.is_ok())
    return Status(StatusCode::kInvalidArgument, "payload: " + bytes.status().message());
  return bytes;
}

Status run_decode(const ForyOptions& o) {
  auto types = load_types(o);
  ASTER_RETURN_IF_ERROR(types);
  auto type = types->find(o.type);
  ASTER_RETURN_IF_ERROR(type);
  auto bytes = payload_bytes(o.input);
  ASTER_RETURN_IF_ERROR(bytes);
  auto value = codec::fory_decode_value(*bytes, **type);
  ASTER_RETURN_IF_ERROR(value);
  auto json = codec::json_encode_value(*value, type->get());
  ASTER_RETURN_IF_ERROR(json);
  fmt::print("{}\n", *json);
  return Status::ok();
}

Status run_encode(const ForyOptions& o) {
  auto types = load_types(o);
  ASTER_RETURN_IF_ERROR(types);
  auto type = types->find(o.type);
  ASTER_RETURN_IF_ERROR(type);
  std::string json = o.input == "-" ? read_stdin() : o.input;
  auto value = codec::json_decode_value(json, **type);
  ASTER_RETURN_IF_ERROR(value);
  auto bytes = codec::fory_encode_value(*value, **type);
  ASTER_RETURN_IF_ERROR(bytes);
  fmt::print("{}\n", contract::to_hex(*bytes));
  return Status::ok();
}

void add_common(CLI::App& cmd, ForyOptions& o, const char* input_help) {
  cmd.add_option("--manifest", o.manifest, "manifest.json of the service (0.1.2 format)")
      ->required();
  cmd.add_option("--type", o.type, "class name (request_type/response_type) or wire tag")
      ->required();
  cmd.add_option("--types", o.types_dir,
                 "directory of the contract's canonical type blobs (types/<hash>.bin)");
  cmd.add_option("input", o.input, input_help)->required();
}

}  // namespace

void add_fory_commands(CLI::App& app, CommandContext& context) {
  auto* fory = app.add_subcommand("fory", "decode/encode Fory XLANG payloads with a manifest");
  fory->require_subcommand(1);
  auto options = std::make_shared<ForyOptions>();

  auto* decode = fory->add_subcommand("decode", "print a Fory XLANG payload as JSON");
  add_common(*decode, *options, "payload as hex, or - for stdin (hex or raw bytes)");
  decode->callback([options, &context] {
    Status st = run_decode(*options);
    if (!st.is_ok()) {
      fmt::print(stderr, "error: {}\n", st.message());
      context.exit_code = 1;
    }
  });

  auto* encode =
      fory->add_subcommand("encode", "print the Fory XLANG bytes of a JSON value as hex");
  add_common(*encode, *options, "the value as JSON, or - for stdin");
  encode->callback([options, &context] {
    Status st = run_encode(*options);
    if (!st.is_ok()) {
      fmt::print(stderr, "error: {}\n", st.message());
      context.exit_code = 1;
    }
  });
}

}  // namespace aster::cli
