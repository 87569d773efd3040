// The JIT's on-disk cache of compiled objects, so a model compiled once is
// loaded in milliseconds the next time (like ccache, or JAX's and
// TorchInductor's compilation caches).
//
// An entry is one file `<key>.o` holding a header (magic, size, a checksum of
// the rest) and the object files LLVM emitted for one entry point (several
// when its code was generated in parallel parts), each after its size. The key hashes everything the
// machine code depends on: the unoptimized LLVM IR, the target (triple, CPU,
// features), the optimization level, LLVM's version and the identity of the
// nncc build (size and modification time of the binary holding this code, as
// ccache checks its compiler), so a rebuilt nncc never loads stale code.
//
// Safe against concurrent writers: an entry is written to a temporary file
// and renamed into place, so readers see a whole entry or none. An entry
// that fails its checksum is ignored (the caller compiles and rewrites it).
// When the directory outgrows its limit the least recently used entries go.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nncc::jit {

class ObjectCache {
public:
  /// The cache in `dir`, or when `dir` is empty in $NNCC_CACHE_DIR, else
  /// $XDG_CACHE_HOME/nncc, else $HOME/.cache/nncc. Nullopt when caching is
  /// off ($NNCC_CACHE=off or 0) or no directory can be named.
  static std::optional<ObjectCache> open(const std::string &dir = "");

  /// The key of an object built from these parts (in order) by this build of nncc.
  static std::string key(const std::vector<std::string_view> &parts);

  /// The entry's objects, checked against its checksum; nullopt when absent or damaged.
  std::optional<std::vector<std::string>> load(const std::string &key) const;
  /// Writes the entry atomically; a cache that cannot be written is skipped
  /// silently (the cache only saves time).
  void store(const std::string &key, const std::vector<std::string> &objects) const;

private:
  /// Total size of the entries above which the oldest are removed.
  static constexpr uintmax_t kMaxBytes = uintmax_t(256) << 20;

  explicit ObjectCache(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path entry_path(const std::string &key) const { return dir_ / (key + ".o"); }
  void evict_least_recently_used() const;
  std::filesystem::path dir_;
};

} // namespace nncc::jit
