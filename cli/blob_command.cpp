// `aster blob ls|cat|save PEER …` — one-shot versions of the shell's /blobs listing, `cat` and
// `save`, over the same code (peer_content.hpp, blob_access.hpp). aster-cli 0.1.2 documents
// these commands and has their generator, but leaves it commented out in `main`
// (aster-rpc@0972ac9:cli/aster_cli/shell/plugin.py `register_cli_subcommands`).
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <fmt/core.h>

#include "blob_access.hpp"
#include "commands.hpp"
#include "seconds_option.hpp"
#include "shell_display.hpp"
#include "shell_peer.hpp"
#include "text_table.hpp"

namespace aster::cli {
namespace {

struct BlobOptions {
  std::string address;
  std::string target;
  std::string file;
  bool json = false;
  std::string timeout = "10";
};

Result<std::unique_ptr<ShellPeer>> connect(const BlobOptions& o, const CommandContext& context) {
  std::string address = o.address;
  if (address.empty()) {
    if (const char* env = std::getenv("ASTER_ENDPOINT_ADDR")) address = env;
  }
  if (address.empty()) {
    throw UsageError(
        "no producer address: pass PEER (aster1… ticket, base64 NodeAddr or endpoint id) or set "
        "ASTER_ENDPOINT_ADDR");
  }
  LivePeerOptions live;
  live.address = address;
  live.timeout = saturating_milliseconds(parse_seconds(o.timeout).value());
  live.debug = [&context](std::string_view line) { context.debug(line); };
  live.use_registry = false;  // service descriptions are not needed; the registry is joined
                              // once, for the blobs
  return connect_live_peer(live);
}

Status run_ls(const BlobOptions& o, const CommandContext& context) {
  ASTER_ASSIGN_OR_RETURN(auto peer, connect(o, context));
  const ShellDisplay display(o.json, stdout_wants_style());
  if (!o.target.empty()) {
    ASTER_ASSIGN_OR_RETURN(auto target, find_blob_target(*peer, o.target));
    if (target.kind != BlobTarget::Kind::kCollection) {
      return Status(StatusCode::kInvalidArgument, o.target + " is not a collection");
    }
    ASTER_ASSIGN_OR_RETURN(auto entries, peer->collection_entries(target.name));
    display.blob_table(entries, true);
    return Status::ok();
  }
  ASTER_ASSIGN_OR_RETURN(auto blobs, peer->blobs());
  if (blobs.empty() && !o.json) {
    std::cout << "(no collections published)\n";
    return Status::ok();
  }
  display.blob_table(blobs, false);
  return Status::ok();
}

Status run_cat(const BlobOptions& o, const CommandContext& context) {
  ASTER_ASSIGN_OR_RETURN(auto peer, connect(o, context));
  const ShellDisplay display(o.json, stdout_wants_style());
  ASTER_ASSIGN_OR_RETURN(auto target, find_blob_target(*peer, o.target));
  return cat_target(*peer, display, target);
}

Status run_save(const BlobOptions& o, const CommandContext& context) {
  ASTER_ASSIGN_OR_RETURN(auto peer, connect(o, context));
  ASTER_ASSIGN_OR_RETURN(auto target, find_blob_target(*peer, o.target));
  std::optional<ProgressBar> bar;
  if (!o.json) bar.emplace(isatty(STDERR_FILENO) != 0, stdout_wants_style());
  ASTER_ASSIGN_OR_RETURN(uint64_t size, save_target(*peer, target, o.file, bar ? &*bar : nullptr));
  if (o.json) {
    nlohmann::ordered_json j = {{"path", o.file}, {"size", size}};
    if (!target.hash.empty()) j["hash"] = target.hash;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "Saved to " << o.file << " (" << size << " bytes)\n";
  }
  return Status::ok();
}

void add_common(CLI::App* cmd, BlobOptions& o) {
  cmd->add_option("PEER", o.address,
                  "Producer address: aster1… ticket, base64 NodeAddr or 64-hex endpoint id "
                  "(default: $ASTER_ENDPOINT_ADDR)");
}

void add_timeout(CLI::App* cmd, BlobOptions& o) {
  cmd->add_option("--timeout", o.timeout,
                  "Seconds to wait for the connection and the admission reply")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(seconds_in_range());
}

const char* const kEnvironment =
    "Environment:\n"
    "  ASTER_ENDPOINT_ADDR  Producer address used when PEER is not given\n"
    "  ASTER_RELAY_MODE     disabled | default | staging | <relay URL> (default: default)\n"
    "  NO_COLOR             Set to print without colours\n"
    "\n"
    "Exit status: 0 success; 1 unreachable, refused, no registry, or no such blob; 2 usage.";

}  // namespace

void add_blob_commands(CLI::App& app, CommandContext& context) {
  auto* blob = app.add_subcommand(
      "blob", "List, print and download a producer's published blobs (contract collections)");

  auto ls = std::make_shared<BlobOptions>();
  auto* ls_cmd = blob->add_subcommand(
      "ls", "List the collections in the producer's registry, or the entries of one");
  add_common(ls_cmd, *ls);
  ls_cmd->add_option("COLLECTION", ls->target,
                     "A collection to list (e.g. HelloService.v1): its entries, sizes, hashes");
  ls_cmd->add_flag("--json", ls->json,
                   "One JSON line: [{name, hash, size, is_collection}, …] with full hashes");
  add_timeout(ls_cmd, *ls);
  ls_cmd->footer(std::string("Examples:\n"
                             "  aster blob ls aster18Q2DCaQe…\n"
                             "  aster blob ls \"$ADDR\" HelloService.v1\n"
                             "  aster blob ls --json \"$ADDR\" | jq -r '.[].hash'\n"
                             "\n"
                             "Collections are named <Service>.v<N> after the offered service "
                             "with that contract id.\n\n") +
                 kEnvironment);
  ls_cmd->callback([ls, &context] { context.finish(run_ls(*ls, context)); });

  auto cat = std::make_shared<BlobOptions>();
  auto* cat_cmd = blob->add_subcommand(
      "cat", "Print a blob, a collection entry or a registry entry (JSON pretty-printed)");
  add_common(cat_cmd, *cat);
  cat_cmd->add_option("TARGET", cat->target,
                      "A blob hash (or a unique prefix), Service.vN/entry, Service.vN (its "
                      "entries), or a registry key such as manifests/<contract_id>")
      ->required();
  cat_cmd->add_flag("--json", cat->json,
                    "Raw output: JSON and text exactly; binary as {binary, size, head_hex}");
  add_timeout(cat_cmd, *cat);
  cat_cmd->footer(std::string("Examples:\n"
                              "  aster blob cat aster18Q2DCaQe… HelloService.v1/manifest.json\n"
                              "  aster blob cat \"$ADDR\" 5f1c2e…          # a hash or prefix\n"
                              "  aster blob cat \"$ADDR\" services/HelloService/versions/v1\n"
                              "\n"
                              "JSON is shown 2-space indented, other UTF-8 text as is, anything "
                              "else as\n(binary data, N bytes) and a hex dump of its start.\n\n") +
                  kEnvironment);
  cat_cmd->callback([cat, &context] { context.finish(run_cat(*cat, context)); });

  auto save = std::make_shared<BlobOptions>();
  auto* save_cmd =
      blob->add_subcommand("save", "Download a blob from the producer into a local file");
  add_common(save_cmd, *save);
  save_cmd->add_option("TARGET", save->target,
                       "A blob hash (or a unique prefix of a listed one), or Service.vN/entry")
      ->required();
  save_cmd->add_option("FILE", save->file, "Where to write the blob's bytes")->required();
  save_cmd->add_flag("--json", save->json,
                     "Print {path, size, hash} as JSON; no progress bar");
  add_timeout(save_cmd, *save);
  save_cmd->footer(std::string("Examples:\n"
                               "  aster blob save aster18Q2DCaQe… 5f1c2e…(64 hex) c.bin\n"
                               "  aster blob save \"$ADDR\" HelloService.v1/manifest.json m.json\n"
                               "\n"
                               "A progress bar (bytes, percent, rate) goes to stderr on a "
                               "terminal, two plain\nlines otherwise; then `Saved to FILE (N "
                               "bytes)`. An unwritable FILE fails before\nthe download.\n\n") +
                   kEnvironment);
  save_cmd->callback([save, &context] { context.finish(run_save(*save, context)); });
}

}  // namespace aster::cli
