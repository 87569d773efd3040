// The picture `nncc trace --format=dot|svg` draws: the model's forward graph
// with every node's value and dL/dnode written on it (what micrograd's
// draw_dot shows for scalars, for tensors of any shape), forward edges
// solid and the gradient's way back dashed.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace nncc::tool {

struct TraceNode {
  enum class Kind { Input, Param, Op };
  Kind kind = Kind::Op;
  std::string name, op, type; // "h", "tanh", "f32[1, 8]"
  std::string value, grad;    // short previews; grad empty where no gradient flows
  std::vector<size_t> operands; // indices of earlier nodes
};

/// DOT text of the nodes (in definition order) under the title `title`.
std::string trace_dot(std::string_view title, const std::vector<TraceNode> &nodes);

/// `dot` rendered as SVG by Graphviz's `dot` program. Throws nncc::Error
/// saying what to install when it is missing, or what it printed when it
/// fails.
std::string render_svg(const std::string &dot);

} // namespace nncc::tool
