// nncc explain FILE.nn --set NAME=VALUE ... -o page.html — one self-contained
// HTML page (no network, no external scripts) that steps through the
// forward pass node by node and then the backward pass: at each step the
// node's op, value and gradient, and in the backward pass the chain-rule
// term that produced it (the note `--stage=grad` prints). Arrow keys step.
// With Graphviz installed the page embeds the trace picture and marks the
// node of the current step on it.
#include "ir/printer.h"
#include "nncc/nncc.hpp"
#include "tools/nncc/common.h"
#include "tools/nncc/tensor_text.h"
#include "tools/nncc/trace_graph.h"
#include "tools/nncc/trace_run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <nlohmann/json.hpp>

namespace nncc::tool {
namespace {

struct ExplainOptions : RunPoint {
  std::string output;
};

/// Tensors on the page: whole up to this many elements.
constexpr int64_t kWhole = 64;

/// One step of the page per forward node, then one per backward value.
nlohmann::json steps_of(const Trace &trace) {
  nlohmann::json steps = nlohmann::json::array();
  ir::ValueNames names(trace.forward());
  std::map<const ir::Value *, size_t> node_index;
  std::vector<const ir::Value *> nodes = trace.nodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ir::Value &v = *nodes[i];
    node_index[&v] = i;
    std::vector<std::string> reads;
    for (const ir::Value *o : v.operands) reads.push_back(display_name(*o, names));
    steps.push_back({{"phase", "forward"},
                     {"node", i},
                     {"name", display_name(v, names)},
                     {"op", v.is_argument() ? std::string(ir::value_kind_name(v.kind)) : std::string(v.info().name)},
                     {"reads", reads},
                     {"type", v.type.str()},
                     {"value", preview(trace.value(&v), kWhole)}});
  }
  if (!trace.grad_function()) return steps;
  ir::ValueNames grad_names(*trace.grad_function());
  for (const ir::Value *g : trace.backward()) {
    std::vector<std::string> reads, of;
    for (const ir::Value *o : g->operands) reads.push_back(display_name(*o, grad_names));
    std::vector<const ir::Value *> gradient_of = trace.gradient_for(g);
    for (const ir::Value *v : gradient_of) of.push_back("dL/d" + display_name(*v, names));
    nlohmann::json step{{"phase", "backward"},
                        {"name", display_name(*g, grad_names)},
                        {"op", std::string(g->info().name)},
                        {"reads", reads},
                        {"type", g->type.str()},
                        {"value", preview(trace.value(g), kWhole)},
                        {"note", g->note}};
    if (!of.empty()) { // marked on the picture: the node computed last, where the chain rule arrived
      step["node"] = node_index.at(gradient_of.back());
      step["gradient_of"] = fmt::format("{}", fmt::join(of, " = "));
    }
    steps.push_back(step);
  }
  return steps;
}

/// Graphviz's SVG without its XML prolog, for inlining; "" without Graphviz.
std::string inline_picture(const Trace &trace, const std::string &title) {
  try {
    std::string svg = render_svg(trace_dot(trace, title));
    size_t start = svg.find("<svg");
    return start == std::string::npos ? "" : svg.substr(start);
  } catch (const Error &) {
    return ""; // the page steps through the same numbers without the picture
  }
}

constexpr const char *kStyle = R"(
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; }
#picture svg { max-width: 100%; height: auto; }
#picture g.node.current polygon, #picture g.node.current path { stroke: #cc0000; stroke-width: 4; }
#step { border: 1px solid #999; border-radius: 6px; padding: 0.8em 1em; margin: 1em 0; min-height: 7em; }
#step .phase { font-weight: bold; text-transform: uppercase; font-size: 0.8em; }
#step .forward { color: #1c4587; } #step .backward { color: #b45f06; }
#step code, #steps code { font-family: Menlo, Consolas, monospace; }
#steps li { cursor: pointer; padding: 1px 4px; } #steps li.current { background: #fce5cd; }
.keys { color: #666; font-size: 0.9em; }
)";

constexpr const char *kScript = R"(
let at = 0;
const list = document.getElementById('steps');
STEPS.forEach((s, i) => {
  const li = document.createElement('li');
  li.innerHTML = '<code></code>';
  li.firstChild.textContent = (s.phase === 'forward' ? 'forward  ' : 'backward ') + s.name + ' = ' + s.op;
  li.onclick = () => show(i);
  list.appendChild(li);
});
function field(label, text) {
  const p = document.createElement('p');
  const b = document.createElement('b'); b.textContent = label + ' ';
  const c = document.createElement('code'); c.textContent = text;
  p.appendChild(b); p.appendChild(c); return p;
}
function show(i) {
  at = Math.max(0, Math.min(STEPS.length - 1, i));
  const s = STEPS[at], box = document.getElementById('step');
  box.replaceChildren();
  const head = document.createElement('div');
  head.className = 'phase ' + s.phase;
  head.textContent = s.phase + ' pass, step ' + (at + 1) + ' of ' + STEPS.length;
  box.appendChild(head);
  box.appendChild(field('node', s.name + ' : ' + s.type));
  box.appendChild(field('op', s.op + (s.reads.length ? '(' + s.reads.join(', ') + ')' : '')));
  box.appendChild(field('value', s.value));
  if (s.gradient_of) box.appendChild(field('this is', s.gradient_of));
  if (s.note) box.appendChild(field('chain rule', s.note));
  [...list.children].forEach((li, k) => li.classList.toggle('current', k === at));
  document.querySelectorAll('#picture g.node').forEach(g => {
    const t = g.querySelector('title');
    g.classList.toggle('current', s.node !== undefined && t && t.textContent === 'n' + s.node);
  });
}
document.addEventListener('keydown', e => {
  if (e.key === 'ArrowRight' || e.key === 'ArrowDown') { show(at + 1); e.preventDefault(); }
  if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') { show(at - 1); e.preventDefault(); }
  if (e.key === 'Home') show(0);
  if (e.key === 'End') show(STEPS.length - 1);
});
// page.html#step=N opens at step N (a link to one step, a screenshot of it).
show(parseInt((location.hash.match(/step=(\d+)/) || [0, '1'])[1], 10) - 1);
)";

std::string page(const Trace &trace, const std::string &model) {
  std::string data = steps_of(trace).dump();
  // Inside <script>, "</" could close the element: JSON allows "<\/".
  for (size_t at = 0; (at = data.find("</", at)) != std::string::npos; at += 3) data.replace(at, 2, "<\\/");
  std::string loss = trace.loss() ? fmt::format(" The loss L = {}.", format_tensor(*trace.loss(), 6)) : "";
  return fmt::format(R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nncc explain: {0}</title>
<style>{1}</style>
</head>
<body>
<h1>{0}: the forward pass node by node, then the backward pass</h1>
<p>Each forward step computes one node's value from the values it reads; each backward step computes one gradient
term by the chain rule, from dL/dL = 1 back to the inputs and params.{2}</p>
<p class="keys">Keys: &rarr; next step, &larr; previous step, Home / End. Or click a step in the list;
<code>#step=N</code> at the end of the address opens step N.</p>
<div id="picture">{3}</div>
<div id="step"></div>
<ol id="steps"></ol>
<script>
const STEPS = {4};
{5}
</script>
</body>
</html>
)",
                     model, kStyle, loss, inline_picture(trace, model), data, kScript);
}

int run_explain(const ExplainOptions &opt) {
  return with_trace(opt, "explain", [&](const Trace &trace, const std::string &model) {
    return write_output(opt.output, page(trace, model)) ? kSuccess : kUserError;
  });
}

} // namespace

void add_explain_command(CLI::App &app, int &status) {
  auto *cmd = app.add_subcommand("explain", "Write an HTML page that steps through the forward and backward pass at given values");
  auto opt = std::make_shared<ExplainOptions>();
  add_run_point_options(*cmd, *opt);
  cmd->add_option("-o,--output", opt->output, "the page (default: stdout)");
  cmd->callback([opt, &status] { status = run_explain(*opt); });
}

} // namespace nncc::tool
