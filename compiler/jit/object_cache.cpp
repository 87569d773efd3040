#include "compiler/jit/object_cache.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fmt/format.h>
#include <fstream>
#include <llvm/Config/llvm-config.h>
#include <llvm/Support/xxhash.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace nncc::jit {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'N', 'N', 'C', 'C', 'O', 'B', 'J', '2'};

struct Header {
  char magic[8];
  uint64_t size;
  uint64_t checksum_high, checksum_low;
};

llvm::XXH128_hash_t checksum(std::string_view bytes) {
  return llvm::xxh3_128bits({reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()});
}

/// Size and modification time of the file holding this code (the nncc
/// binary, a test or a host program linking nncc's JIT): they change with
/// every rebuild. Empty when the file cannot be found.
std::string build_identity() {
  static const std::string identity = [] {
    // dladdr names a shared library by the path it was opened with, but the
    // main program by its argv[0] ("nncc" found on PATH would stat a file
    // of that name in the working directory): only absolute paths are taken.
    Dl_info info{};
    const char *file = dladdr(reinterpret_cast<void *>(&build_identity), &info) && info.dli_fname && info.dli_fname[0] == '/'
                           ? info.dli_fname
                           : "/proc/self/exe";
    struct stat st{};
    if (stat(file, &st) != 0) return std::string();
    return fmt::format("{}:{}:{}.{}", st.st_size, st.st_ino, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  }();
  return identity;
}

const char *env(const char *name) {
  const char *value = std::getenv(name);
  return value && *value ? value : nullptr;
}

/// The objects one after the other, each after its size (8 bytes).
std::string pack(const std::vector<std::string> &objects) {
  std::string out;
  for (const std::string &o : objects) {
    uint64_t size = o.size();
    out.append(reinterpret_cast<const char *>(&size), sizeof size).append(o);
  }
  return out;
}

std::optional<std::vector<std::string>> unpack(std::string_view bytes) {
  std::vector<std::string> objects;
  while (!bytes.empty()) {
    uint64_t size = 0;
    if (bytes.size() < sizeof size) return std::nullopt;
    std::memcpy(&size, bytes.data(), sizeof size);
    bytes.remove_prefix(sizeof size);
    if (size > bytes.size()) return std::nullopt;
    objects.emplace_back(bytes.substr(0, size));
    bytes.remove_prefix(size);
  }
  if (objects.empty()) return std::nullopt;
  return objects;
}

} // namespace

std::optional<ObjectCache> ObjectCache::open(const std::string &dir) {
  if (const char *on = env("NNCC_CACHE"); on && (std::string_view(on) == "off" || std::string_view(on) == "0")) return std::nullopt;
  if (build_identity().empty()) return std::nullopt;
  if (!dir.empty()) return ObjectCache(dir);
  if (const char *d = env("NNCC_CACHE_DIR")) return ObjectCache(d);
  if (const char *d = env("XDG_CACHE_HOME")) return ObjectCache(fs::path(d) / "nncc");
  if (const char *d = env("HOME")) return ObjectCache(fs::path(d) / ".cache" / "nncc");
  return std::nullopt;
}

std::string ObjectCache::key(const std::vector<std::string_view> &parts) {
  // Each part is hashed on its own and the hashes combined, so parts cannot
  // run into each other ("ab","c" and "a","bc" differ).
  std::string digests = fmt::format("nncc-object-cache 1|llvm {}|build {}", LLVM_VERSION_STRING, build_identity());
  for (std::string_view part : parts) {
    llvm::XXH128_hash_t h = checksum(part);
    digests.append(reinterpret_cast<const char *>(&h), sizeof h);
  }
  llvm::XXH128_hash_t h = checksum(digests);
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

std::optional<std::vector<std::string>> ObjectCache::load(const std::string &key) const {
  fs::path path = entry_path(key);
  std::ifstream in(path, std::ios::binary);
  Header header{};
  if (!in || !in.read(reinterpret_cast<char *>(&header), sizeof header)) return std::nullopt;
  std::error_code ec;
  uintmax_t file_size = fs::file_size(path, ec);
  if (ec || std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 || file_size != sizeof header + header.size) return std::nullopt;
  std::string payload(header.size, '\0');
  if (!in.read(payload.data(), static_cast<std::streamsize>(payload.size()))) return std::nullopt;
  llvm::XXH128_hash_t h = checksum(payload);
  if (h.high64 != header.checksum_high || h.low64 != header.checksum_low) return std::nullopt;
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec); // recently used: evicted last
  return unpack(payload);
}

void ObjectCache::store(const std::string &key, const std::vector<std::string> &objects) const {
  std::string payload = pack(objects);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return;
  fs::path temporary = dir_ / fmt::format("{}.tmp-{}-{}", key, getpid(), std::hash<std::thread::id>{}(std::this_thread::get_id()));
  llvm::XXH128_hash_t h = checksum(payload);
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.size = payload.size();
  header.checksum_high = h.high64;
  header.checksum_low = h.low64;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(&header), sizeof header);
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    if (!out.flush()) {
      fs::remove(temporary, ec);
      return;
    }
  }
  fs::rename(temporary, entry_path(key), ec);
  if (ec) fs::remove(temporary, ec);
  evict_least_recently_used();
}

void ObjectCache::evict_least_recently_used() const {
  struct Entry {
    fs::path path;
    fs::file_time_type used;
    uintmax_t bytes;
  };
  std::vector<Entry> entries;
  uintmax_t total = 0;
  std::error_code ec;
  for (const fs::directory_entry &e : fs::directory_iterator(dir_, ec)) {
    if (e.path().extension() != ".o") continue;
    Entry entry{e.path(), e.last_write_time(ec), e.file_size(ec)};
    if (ec) continue;
    total += entry.bytes;
    entries.push_back(std::move(entry));
  }
  if (total <= kMaxBytes) return;
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) { return a.used < b.used; });
  for (const Entry &e : entries) {
    if (total <= kMaxBytes / 2) break;
    if (fs::remove(e.path, ec)) total -= e.bytes;
  }
}

} // namespace nncc::jit
