// TypeGraph: the reference graph of named message types reachable from a service's methods, and
// the order in which their TypeDefs are hashed (section 11.3.4 and Appendix B of
// aster-rpc@0972ac9:ffi_spec/Aster-ContractIdentity.md; docs/contract.md).
//
// We implement the *spec* algorithm, which reproduces vectors B.1–B.4:
//  - Tarjan SCCs over nodes and successors in NFC code-point order, processed leaves first;
//  - a size-1 SCC's self-edge is a back edge;
//  - in a larger SCC, DFS from the member with the smallest name, successors in sorted order;
//    every edge to an already-visited member is a back edge (B.4's A→C included);
//  - members are hashed in DFS post-order (deepest first).
// A field whose edge is a back edge becomes SELF_REF with self_ref_name = the target's name;
// every other reference is REF with the target's hash, already known at that point.
// 0.1.2 differs (reverse post-order, Python module.qualname names) but cannot run an XLANG
// service with a recursive type at all (RecursionError in bindings/python/aster/decorators.py
// `_validate_xlang_tags_for_service`), so no interop is lost.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "aster/contract/definitions.hpp"
#include "aster/status.hpp"

namespace aster::contract {

class TypeGraph {
 public:
  // `name` is the type's fully-qualified name, "package.Name" (also the SELF_REF name).
  // `references` are the names of the types its fields mention (duplicates allowed). Every
  // referenced name must also be added as a node before plan()/resolve().
  void add_type(std::string name, std::vector<std::string> references);

  bool contains(const std::string& name) const { return edges_.count(name) != 0; }
  size_t size() const { return edges_.size(); }

  struct Plan {
    std::vector<std::string> order;                           // hashing order
    std::map<std::string, std::set<std::string>> back_edges;  // source → SELF_REF targets
  };
  Result<Plan> plan() const;

  struct ResolvedType {
    std::string name;
    TypeDef type_def;
    TypeHash hash;
  };
  // Builds a TypeDef for `name`, given the targets that must be SELF_REF and the hashes of
  // every type hashed so far (all REF targets are among them).
  using TypeDefBuilder = std::function<Result<TypeDef>(
      const std::string& name, const std::set<std::string>& self_ref_targets,
      const std::map<std::string, TypeHash>& hashes)>;
  // TypeDefs and hashes in hashing order.
  Result<std::vector<ResolvedType>> resolve(const TypeDefBuilder& build) const;

 private:
  struct NfcLess {
    bool operator()(const std::string& a, const std::string& b) const {
      return nfc_codepoint_less(a, b);
    }
  };
  std::map<std::string, std::set<std::string, NfcLess>, NfcLess> edges_;
};

}  // namespace aster::contract
