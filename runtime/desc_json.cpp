#include "nncc/desc_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace nncc {

using json = nlohmann::json;

namespace {

json dims_json(const std::vector<DimDesc> &shape) {
  json out = json::array();
  for (const DimDesc &d : shape) out.push_back(d.is_symbolic() ? json{{"symbol", d.symbol}} : json(d.size));
  return out;
}

std::vector<DimDesc> dims_from(const json &j) {
  std::vector<DimDesc> out;
  for (const json &d : j) out.push_back(d.is_object() ? DimDesc{0, d.at("symbol").get<int>()} : DimDesc{d.get<int64_t>(), -1});
  return out;
}

json tensor_json(const TensorDesc &t) { return {{"name", t.name}, {"dtype", dtype_name(t.dtype)}, {"shape", dims_json(t.shape)}}; }

DType dtype_from(const json &j) {
  std::string s = j.get<std::string>();
  for (DType t : {DType::F32, DType::F64, DType::I32})
    if (s == dtype_name(t)) return t;
  throw Error(fmt::format("model description: unknown dtype '{}'", s));
}

void tensor_from(const json &j, TensorDesc &t) {
  t.name = j.at("name").get<std::string>();
  t.dtype = dtype_from(j.at("dtype"));
  t.shape = dims_from(j.at("shape"));
}

const char *kind_name(ArgKind k) { return k == ArgKind::Input ? "input" : k == ArgKind::Param ? "param" : "state"; }

} // namespace

std::string desc_to_json(const ModelDesc &d) {
  json j;
  j["name"] = d.name;
  j["signature"] = d.signature;
  j["symbols"] = d.symbols;
  j["primitive_sites"] = d.primitive_sites;
  j["check_nan"] = d.check_nan;
  j["params"] = json::array();
  for (const ParamDesc &p : d.params)
    j["params"].push_back({{"name", p.name}, {"dtype", dtype_name(p.dtype)}, {"shape", p.shape}, {"init", p.init}, {"init_args", p.init_args}});
  j["states"] = json::array();
  for (const StateDesc &s : d.states)
    j["states"].push_back({{"name", s.name}, {"dtype", dtype_name(s.dtype)}, {"shape", s.shape}, {"initial", s.initial}});
  j["functions"] = json::array();
  for (const FunctionDesc &f : d.functions) {
    json args = json::array(), results = json::array();
    for (const ArgDesc &a : f.args) {
      json arg = tensor_json(a);
      arg["kind"] = kind_name(a.kind);
      if (a.index_limit > 0) arg["index_limit"] = a.index_limit;
      args.push_back(arg);
    }
    for (const TensorDesc &r : f.results) results.push_back(tensor_json(r));
    j["functions"].push_back({{"name", f.name}, {"args", args}, {"results", results}});
  }
  return j.dump();
}

ModelDesc desc_from_json(const std::string &text) {
  try {
    json j = json::parse(text);
    ModelDesc d;
    d.name = j.at("name").get<std::string>();
    d.signature = j.at("signature").get<std::string>();
    d.symbols = j.at("symbols").get<std::vector<std::string>>();
    d.primitive_sites = j.at("primitive_sites").get<int>();
    d.check_nan = j.value("check_nan", false);
    for (const json &p : j.at("params"))
      d.params.push_back({p.at("name").get<std::string>(), dtype_from(p.at("dtype")), p.at("shape").get<std::vector<int64_t>>(),
                          p.at("init").get<std::string>(), p.at("init_args").get<std::vector<double>>()});
    for (const json &s : j.at("states"))
      d.states.push_back({s.at("name").get<std::string>(), dtype_from(s.at("dtype")), s.at("shape").get<std::vector<int64_t>>(),
                          s.at("initial").get<double>()});
    for (const json &f : j.at("functions")) {
      FunctionDesc fd;
      fd.name = f.at("name").get<std::string>();
      for (const json &a : f.at("args")) {
        ArgDesc arg;
        tensor_from(a, arg);
        std::string kind = a.at("kind").get<std::string>();
        arg.kind = kind == "input" ? ArgKind::Input : kind == "param" ? ArgKind::Param : ArgKind::State;
        arg.index_limit = a.value("index_limit", int64_t{0});
        fd.args.push_back(arg);
      }
      for (const json &r : f.at("results")) {
        TensorDesc t;
        tensor_from(r, t);
        fd.results.push_back(t);
      }
      d.functions.push_back(std::move(fd));
    }
    return d;
  } catch (const json::exception &e) {
    throw Error(fmt::format("model description: {}", e.what()));
  }
}

} // namespace nncc
