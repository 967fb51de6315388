#include "aster/contract/collection.hpp"

#include <algorithm>
#include <fstream>
#include <set>

#include "aster/contract/canonical_reader.hpp"
#include "aster/contract/identity.hpp"

namespace aster::contract {
namespace {

namespace fs = std::filesystem;

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Status file_error(const fs::path& name, StatusCode code, const std::string& what) {
  return Status(code, name.generic_string() + ": " + what);
}

// `<64 lowercase hex>.bin` → the hash; anything else → nothing.
std::optional<TypeHash> hash_from_file_name(const fs::path& p) {
  if (p.extension() != ".bin") return std::nullopt;
  std::string stem = p.stem().string();
  if (stem.size() != 64) return std::nullopt;
  auto bytes = from_hex(stem);
  if (!bytes.is_ok() || bytes->size() != 32) return std::nullopt;
  TypeHash h{};
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

}  // namespace

Result<std::string> read_file_capped(const fs::path& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    bool exists = fs::exists(path, ec);
    return Status(exists ? StatusCode::kPermissionDenied : StatusCode::kNotFound,
                  path.string() + (exists ? ": cannot open" : ": no such file"));
  }
  if (fs::is_directory(path)) {
    return Status(StatusCode::kInvalidArgument, path.string() + ": is a directory");
  }
  // Chunked reads up to the cap (+1 to detect an overflow): no size query, so pipes work.
  std::string out;
  char buf[64 * 1024];
  while (in) {
    in.read(buf, sizeof buf);
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > max_bytes) {
      return Status(StatusCode::kInvalidArgument,
                    path.string() + ": larger than the limit of " + std::to_string(max_bytes) +
                        " bytes");
    }
  }
  if (in.bad()) return Status(StatusCode::kUnavailable, path.string() + ": read failed");
  return out;
}

Result<std::vector<TypeBlob>> read_type_blobs(const fs::path& dir_in,
                                              const CollectionReadOptions& options) {
  fs::path dir = dir_in;
  std::error_code ec;
  if (fs::is_directory(dir / "types", ec)) dir /= "types";
  fs::directory_iterator it(dir, ec);
  if (ec) return Status(StatusCode::kNotFound, dir.string() + ": " + ec.message());
  std::vector<TypeBlob> blobs;
  for (const auto& entry : it) {
    auto hash = hash_from_file_name(entry.path());
    if (!hash) continue;
    if (blobs.size() >= options.max_type_blobs) {
      return Status(StatusCode::kInvalidArgument,
                    dir.string() + ": more than " + std::to_string(options.max_type_blobs) +
                        " type blobs");
    }
    fs::path name = fs::path("types") / entry.path().filename();
    ASTER_ASSIGN_OR_RETURN(std::string blob,
                           read_file_capped(entry.path(), options.max_blob_bytes));
    if (options.verify && blake3(as_bytes(blob)) != *hash) {
      return file_error(name, StatusCode::kDataLoss,
                        "content hashes to " + to_hex(blake3(as_bytes(blob))) +
                            ", not the hash in its name");
    }
    auto td = read_type_def(as_bytes(blob));
    if (!td.is_ok()) return file_error(name, td.status().code(), td.status().message());
    blobs.push_back({*hash, std::move(td).value()});
  }
  std::sort(blobs.begin(), blobs.end(),
            [](const TypeBlob& a, const TypeBlob& b) { return a.hash < b.hash; });
  return blobs;
}

Result<Collection> read_collection(const fs::path& dir, const CollectionReadOptions& options) {
  Collection c;
  ManifestLimits limits;
  ASTER_ASSIGN_OR_RETURN(std::string manifest_text,
                         read_file_capped(dir / "manifest.json", limits.max_bytes));
  auto manifest = parse_manifest(manifest_text, limits);
  if (!manifest.is_ok()) {
    return file_error("manifest.json", manifest.status().code(), manifest.status().message());
  }
  c.manifest = std::move(manifest).value();

  std::error_code ec;
  if (fs::exists(dir / "contract.bin", ec)) {
    ASTER_ASSIGN_OR_RETURN(std::string bytes,
                           read_file_capped(dir / "contract.bin", limits.max_bytes));
    c.contract_bytes.assign(bytes.begin(), bytes.end());
  } else if (options.require_contract_bin || options.verify) {
    return file_error("contract.bin", StatusCode::kNotFound, "missing from " + dir.string());
  }

  if (fs::is_directory(dir / "types", ec)) {
    ASTER_ASSIGN_OR_RETURN(c.types, read_type_blobs(dir / "types", options));
  }

  if (options.verify) {
    std::string id = to_hex(blake3(c.contract_bytes));
    if (id != c.manifest.contract_id) {
      return file_error("contract.bin", StatusCode::kDataLoss,
                        "hashes to " + id + ", but manifest.json says contract_id " +
                            c.manifest.contract_id);
    }
    std::set<std::string> listed(c.manifest.type_hashes.begin(), c.manifest.type_hashes.end());
    std::set<std::string> present;
    for (const auto& t : c.types) present.insert(to_hex(t.hash));
    for (const auto& h : listed) {
      if (!present.count(h))
        return file_error("types/" + h + ".bin", StatusCode::kNotFound,
                          "listed in manifest.json type_hashes but missing");
    }
    for (const auto& h : present) {
      if (!listed.count(h))
        return file_error("types/" + h + ".bin", StatusCode::kDataLoss,
                          "not listed in manifest.json type_hashes");
    }
  }
  return c;
}

}  // namespace aster::contract
