#include "aster/contract/type_graph.hpp"

#include <algorithm>

#include "aster/contract/identity.hpp"

namespace aster::contract {

void TypeGraph::add_type(std::string name, std::vector<std::string> references) {
  auto& out = edges_[std::move(name)];
  for (auto& r : references) out.insert(std::move(r));
}

Result<TypeGraph::Plan> TypeGraph::plan() const {
  for (const auto& [name, succ] : edges_) {
    for (const auto& w : succ) {
      if (!edges_.count(w)) {
        return Status(StatusCode::kInvalidArgument,
                      "type '" + name + "' references '" + w + "', which is not in the graph");
      }
    }
  }

  // Tarjan (iterative, so a hostile deep chain cannot overflow the stack). SCCs come out in
  // reverse topological order: leaves first.
  struct NodeState {
    int index = -1;
    int lowlink = 0;
    bool on_stack = false;
  };
  std::map<std::string, NodeState, NfcLess> st;
  std::vector<std::string> stack;
  std::vector<std::vector<std::string>> sccs;
  int counter = 0;
  struct Frame {
    const std::string* v;
    std::set<std::string, NfcLess>::const_iterator next;
  };
  for (const auto& [root, _] : edges_) {
    if (st[root].index >= 0) continue;
    std::vector<Frame> call;
    auto enter = [&](const std::string& v) {
      auto& s = st[v];
      s.index = s.lowlink = counter++;
      s.on_stack = true;
      stack.push_back(v);
      call.push_back({&edges_.find(v)->first, edges_.find(v)->second.begin()});
    };
    enter(root);
    while (!call.empty()) {
      Frame& f = call.back();
      const auto& succ = edges_.find(*f.v)->second;
      if (f.next != succ.end()) {
        const std::string& w = *f.next++;
        auto& sw = st[w];
        if (sw.index < 0) {
          enter(w);
        } else if (sw.on_stack) {
          auto& sv = st[*f.v];
          sv.lowlink = std::min(sv.lowlink, sw.index);
        }
        continue;
      }
      const std::string& v = *f.v;
      call.pop_back();
      if (!call.empty()) {
        auto& parent = st[*call.back().v];
        parent.lowlink = std::min(parent.lowlink, st[v].lowlink);
      }
      if (st[v].lowlink == st[v].index) {
        std::vector<std::string> scc;
        while (true) {
          std::string w = stack.back();
          stack.pop_back();
          st[w].on_stack = false;
          bool done = w == v;
          scc.push_back(std::move(w));
          if (done) break;
        }
        sccs.push_back(std::move(scc));
      }
    }
  }

  Plan plan;
  for (auto& scc : sccs) {
    if (scc.size() == 1) {
      const auto& v = scc.front();
      if (edges_.find(v)->second.count(v)) plan.back_edges[v].insert(v);
      plan.order.push_back(v);
      continue;
    }
    std::set<std::string, NfcLess> members(scc.begin(), scc.end());
    // DFS from the smallest member; successors (members only) in sorted order. Edges to a
    // visited member are back edges; post-order is the hashing order.
    std::set<std::string> visited;
    std::vector<std::string> post_order;
    struct DfsFrame {
      const std::string* v;
      std::set<std::string, NfcLess>::const_iterator next;
    };
    std::vector<DfsFrame> dfs;
    auto visit = [&](const std::string& v) {
      visited.insert(v);
      dfs.push_back({&*members.find(v), edges_.find(v)->second.begin()});
    };
    visit(*members.begin());
    while (!dfs.empty()) {
      DfsFrame& f = dfs.back();
      const auto& succ = edges_.find(*f.v)->second;
      if (f.next == succ.end()) {
        post_order.push_back(*f.v);
        dfs.pop_back();
        continue;
      }
      const std::string& w = *f.next++;
      if (!members.count(w)) continue;
      if (visited.count(w)) {
        plan.back_edges[*f.v].insert(w);
      } else {
        visit(w);
      }
    }
    plan.order.insert(plan.order.end(), post_order.begin(), post_order.end());
  }
  return plan;
}

Result<std::vector<TypeGraph::ResolvedType>> TypeGraph::resolve(const TypeDefBuilder& build) const {
  auto planned = plan();
  ASTER_RETURN_IF_ERROR(planned);
  static const std::set<std::string> kNone;
  std::map<std::string, TypeHash> hashes;
  std::vector<ResolvedType> out;
  for (const auto& name : planned->order) {
    auto it = planned->back_edges.find(name);
    auto td = build(name, it == planned->back_edges.end() ? kNone : it->second, hashes);
    ASTER_RETURN_IF_ERROR(td);
    TypeHash h = type_hash(*td);
    hashes[name] = h;
    out.push_back({name, std::move(td).value(), h});
  }
  return out;
}

}  // namespace aster::contract
