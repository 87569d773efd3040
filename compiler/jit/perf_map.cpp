#include "compiler/jit/perf_map.h"

#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <llvm/ExecutionEngine/JITLink/JITLink.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>
#include <mutex>
#include <unistd.h>

namespace nncc::jit {

namespace {

/// Writes "START SIZE NAME" (hex) for each function of a linked graph, once
/// its addresses are final (a post-fixup pass). Local symbols — kernels are
/// internal to their entry point's module — are linked too, so they are
/// listed like the exported ones. oneDNN truncates the file when it first
/// writes to it (after nncc's first link, when its first primitive is
/// made), so the lines are written again when the JIT goes away if the
/// file lost them.
class PerfMapPlugin : public llvm::orc::ObjectLinkingLayer::Plugin {
public:
  PerfMapPlugin(std::string path, std::FILE *file) : path_(std::move(path)), file_(file) {}
  ~PerfMapPlugin() override {
    std::ifstream in(path_);
    std::string now((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (now.find(lines_) == std::string::npos) std::fputs(lines_.c_str(), file_);
    std::fclose(file_);
  }

  void modifyPassConfig(llvm::orc::MaterializationResponsibility &, llvm::jitlink::LinkGraph &,
                        llvm::jitlink::PassConfiguration &config) override {
    config.PostFixupPasses.push_back([this](llvm::jitlink::LinkGraph &graph) {
      std::lock_guard lock(mutex_);
      std::string lines;
      for (const llvm::jitlink::Symbol *s : graph.defined_symbols())
        if (s->hasName() && s->isCallable() && s->getSize() > 0)
          lines += fmt::format("{:x} {:x} {}\n", s->getAddress().getValue(), s->getSize(), s->getName().str());
      std::fputs(lines.c_str(), file_);
      std::fflush(file_);
      lines_ += lines;
      return llvm::Error::success();
    });
  }
  llvm::Error notifyFailed(llvm::orc::MaterializationResponsibility &) override { return llvm::Error::success(); }
  llvm::Error notifyRemovingResources(llvm::orc::JITDylib &, llvm::orc::ResourceKey) override { return llvm::Error::success(); }
  void notifyTransferringResources(llvm::orc::JITDylib &, llvm::orc::ResourceKey, llvm::orc::ResourceKey) override {}

private:
  std::string path_;
  std::FILE *file_;
  std::mutex mutex_;
  std::string lines_; // everything written so far
};

} // namespace

void enable_perf_map(llvm::orc::LLJIT &jit) {
  const char *on = std::getenv("NNCC_PERF_MAP");
  if (!on || std::atoi(on) == 0) return;
  auto *layer = llvm::dyn_cast<llvm::orc::ObjectLinkingLayer>(&jit.getObjLinkingLayer());
  std::string path = fmt::format("/tmp/perf-{}.map", ::getpid());
  std::FILE *file = layer ? std::fopen(path.c_str(), "a") : nullptr;
  if (!file) {
    fmt::print(stderr, "nncc: warning: NNCC_PERF_MAP: {}\n", layer ? fmt::format("cannot append to '{}'", path) : "this JIT does not link with JITLink");
    return;
  }
  layer->addPlugin(std::make_unique<PerfMapPlugin>(path, file));
}

} // namespace nncc::jit
