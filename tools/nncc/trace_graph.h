// The picture `nncc trace --format=dot|svg` draws (and `nncc explain`
// embeds): the model's forward graph with every node's value and dL/dnode
// written on it (what micrograd's draw_dot shows for scalars, for tensors of
// any shape), forward edges solid and the gradient's way back dashed.
#pragma once
#include "ir/printer.h"
#include "tools/nncc/trace_run.h"

#include <string>

namespace nncc::tool {

/// A tensor as the picture shows it: whole when it has at most `whole`
/// elements, else its first four; "" for null.
std::string preview(const interp::Tensor *t, int64_t whole = 6);

/// A node's name in the picture: the .nn file's name, else the IR's number.
std::string display_name(const ir::Value &v, const ir::ValueNames &names);

/// DOT text of the trace's forward graph; node i (as DOT id "n<i>") is
/// trace.nodes()[i].
std::string trace_dot(const Trace &trace, std::string title);

/// `dot` rendered as SVG by Graphviz's `dot` program. Throws nncc::Error
/// saying what to install when it is missing, or what it printed when it
/// fails.
std::string render_svg(const std::string &dot);

} // namespace nncc::tool
