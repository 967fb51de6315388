// A producer's blobs and registry documents, as the shell's /blobs and /docs and `aster blob`
// show them: one collection per `contracts/<id>` entry of its registry (named
// `<Service>.v<N>` after the offered service with that contract id), the collection's entries,
// every registry entry, and single blobs read or downloaded by hash.
//
// aster-cli 0.1.2's shell lists collections only from ArtifactRefs its slow manifest path has
// fetched, and registry entries through a query capped at 3 (aster-rpc@0972ac9:
// cli/aster_cli/shell/app.py `PeerConnection.list_blobs`, `list_doc_entries`; core/src/lib.rs
// `QUERY_ENTRY_LIMIT`); here both are read from the registry directly, all of them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aster/status.hpp"
#include "peer_catalog.hpp"
#include "shell_peer.hpp"

namespace aster::cli {

// The one hash `text` names among `known` (full hex hashes): `text` itself when it is a full
// 64-hex hash, else the only known hash starting with it (case-insensitive). kInvalidArgument
// for text that is not hex, kNotFound / kInvalidArgument (ambiguous) otherwise.
Result<std::string> match_hash(const std::string& text, const std::vector<std::string>& known);

// The collection name 0.1.2's shell shows: `<Service>.v<N>` for an offered contract, else the
// first 12 characters of the contract id.
std::string collection_name(const std::string& contract_id,
                            const std::vector<trust::ServiceSummary>& offered);

class PeerContent {
 public:
  explicit PeerContent(PeerConnection& peer) : peer_(peer) {}

  Result<std::vector<ShellBlob>> collections();
  Result<std::vector<ShellBlob>> entries(const std::string& collection);
  Result<std::vector<ShellDocEntry>> docs();
  std::optional<size_t> known_collection_count() const;
  Result<std::vector<uint8_t>> read_doc(const std::string& key);
  // Every hash listed so far, after listing the collections and their entries.
  Result<std::vector<std::string>> known_hashes();
  Result<std::vector<uint8_t>> read_blob(const std::string& hash, size_t max,
                                         TransferProgress* progress);
  void clear();  // refresh: list again on next use

 private:
  Result<registry::RegistryReader*> reader();

  PeerConnection& peer_;
  std::optional<std::vector<ShellBlob>> collections_;
  std::map<std::string, std::vector<ShellBlob>> entries_;  // by collection hash
  std::optional<std::vector<ShellDocEntry>> docs_;
};

}  // namespace aster::cli
