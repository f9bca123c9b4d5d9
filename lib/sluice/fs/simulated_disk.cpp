// In-memory disk with durability, damage and fault models (see simulated_disk.hpp).
#include "sluice/fs/simulated_disk.hpp"

#include "sluice/error.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <random>

namespace sluice::fs {

namespace {

error_code sys(int err) { return {err, boost::system::system_category()}; }

struct extent {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct inode {
  std::vector<std::uint8_t> current;  // what reads see
  std::vector<std::uint8_t> durable;  // what a power loss leaves
  std::vector<extent> unsynced;       // writes since the last sync
  std::vector<extent> lost;           // dropped by a failed sync (fsyncgate): never becomes durable
  // While mapped (map_shared): the words stores go to. fold() copies them into `current` as an
  // unsynced write before anything reads `current`.
  std::shared_ptr<std::vector<std::uint64_t>> mapped;
};

// Copies a mapping's words into what reads see (unsynced, like the pages of a real mapping).
void fold(inode& i) {
  if (!i.mapped) return;
  const std::size_t bytes = i.mapped->size() * sizeof(std::uint64_t);
  if (i.current.size() < bytes) i.current.resize(bytes);
  for (std::size_t w = 0; w < i.mapped->size(); ++w) {
    const std::uint64_t v = std::atomic_ref<std::uint64_t>((*i.mapped)[w]).load(std::memory_order_relaxed);
    std::memcpy(i.current.data() + w * sizeof v, &v, sizeof v);
  }
  if (i.unsynced.empty() || i.unsynced.back().offset != 0 || i.unsynced.back().length != bytes) {
    i.unsynced.push_back({0, bytes});
  }
}

using entries = std::map<std::string, std::shared_ptr<inode>>;

struct directory {
  entries current;
  entries durable;
};

struct split_path {
  std::string dir;
  std::string name;
};

split_path split(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

struct fault_rule {
  op_kind kind = op_kind::any;
  std::uint64_t n = 0;
  int err = EIO;
  bool persistent = false;
  std::uint64_t seen = 0;
  std::string path_contains;  // empty: every path
};

}  // namespace

struct simulated_disk::state {
  mutable std::mutex mutex;
  std::map<std::string, directory> dirs;
  std::map<std::string, std::string> locks;
  std::uint64_t ops = 0;
  std::optional<fault_rule> rule;
  bool fsyncgate = false;
  std::optional<std::uint64_t> crash_op;
  bool dead = false;
  std::shared_ptr<std::map<std::string, directory>> frozen;  // the disk at the crash
  // hold_writes(): writes to matching paths wait (outside `mutex`) until release_writes().
  std::mutex hold_mutex;
  std::condition_variable held;
  std::string hold_path;  // empty: nothing held (under hold_mutex)

  // Folds every mapped file's stores into what reads see (before an image). Locked by the caller.
  void fold_all() {
    for (auto& [path, d] : dirs) {
      for (auto& [name, i] : d.current) fold(*i);
    }
  }

  // Counts an operation and decides whether it fails. Locked by the caller.
  error_code check(op_kind kind, const std::string& path) {
    ++ops;
    if (dead) return sys(EIO);
    if (crash_op && ops >= *crash_op) {
      fold_all();
      frozen = std::make_shared<std::map<std::string, directory>>(deep_copy(dirs));
      dead = true;
      return sys(EIO);
    }
    if (rule && (rule->kind == op_kind::any || rule->kind == kind) &&
        (rule->path_contains.empty() || path.find(rule->path_contains) != std::string::npos)) {
      ++rule->seen;
      if (rule->seen == rule->n || (rule->persistent && rule->seen > rule->n)) return sys(rule->err);
    }
    return {};
  }

  static std::map<std::string, directory> deep_copy(const std::map<std::string, directory>& from) {
    std::map<const inode*, std::shared_ptr<inode>> copies;
    auto copy_of = [&](const std::shared_ptr<inode>& i) {
      auto& c = copies[i.get()];
      if (!c) {
        c = std::make_shared<inode>(*i);
        c->mapped.reset();  // the copy is a disk image, not the live mapping
      }
      return c;
    };
    std::map<std::string, directory> out;
    for (const auto& [path, d] : from) {
      directory nd;
      for (const auto& [name, i] : d.current) nd.current[name] = copy_of(i);
      for (const auto& [name, i] : d.durable) nd.durable[name] = copy_of(i);
      out[path] = std::move(nd);
    }
    return out;
  }

  directory* find_dir(const std::string& path) {
    auto it = dirs.find(path);
    return it == dirs.end() ? nullptr : &it->second;
  }
};

namespace {

class sim_file final : public file {
 public:
  sim_file(std::shared_ptr<simulated_disk::state> s, std::shared_ptr<inode> i, bool writable, std::string path)
      : s_(std::move(s)), i_(std::move(i)), writable_(writable), path_(std::move(path)) {}

  error_code write_at(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    {
      std::unique_lock hold(s_->hold_mutex);
      s_->held.wait(hold, [&] { return s_->hold_path.empty() || path_.find(s_->hold_path) == std::string::npos; });
    }
    std::lock_guard lock(s_->mutex);
    if (!writable_) return sys(EBADF);
    if (auto ec = s_->check(op_kind::write, path_)) return ec;
    fold(*i_);
    if (i_->current.size() < offset + data.size()) i_->current.resize(offset + data.size());
    std::copy(data.begin(), data.end(), i_->current.begin() + static_cast<std::ptrdiff_t>(offset));
    if (i_->mapped) {  // the mapping sees the write too
      for (std::size_t w = offset / 8; w < i_->mapped->size() && w * 8 < offset + data.size(); ++w) {
        std::uint64_t v = 0;
        std::memcpy(&v, i_->current.data() + w * 8, sizeof v);
        std::atomic_ref<std::uint64_t>((*i_->mapped)[w]).store(v, std::memory_order_relaxed);
      }
    }
    i_->unsynced.push_back({offset, data.size()});
    std::erase_if(i_->lost,
                  [&](const extent& e) { return e.offset < offset + data.size() && offset < e.offset + e.length; });
    return {};
  }

  error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out, std::size_t& got) override {
    std::lock_guard lock(s_->mutex);
    got = 0;
    if (auto ec = s_->check(op_kind::read, path_)) return ec;
    fold(*i_);
    if (offset >= i_->current.size()) return {};
    got = std::min<std::size_t>(out.size(), i_->current.size() - offset);
    std::copy_n(i_->current.begin() + static_cast<std::ptrdiff_t>(offset), got, out.begin());
    return {};
  }

  error_code sync_data() override {
    std::lock_guard lock(s_->mutex);
    if (auto ec = s_->check(op_kind::sync, path_)) {
      if (s_->fsyncgate) {  // the kernel marks the pages clean anyway: they will never be written
        i_->lost.insert(i_->lost.end(), i_->unsynced.begin(), i_->unsynced.end());
        i_->unsynced.clear();
      }
      return ec;
    }
    fold(*i_);
    std::vector<std::uint8_t> next = i_->current;
    for (const auto& e : i_->lost) {  // dropped pages keep what the disk had
      for (std::uint64_t b = e.offset; b < e.offset + e.length && b < next.size(); ++b) {
        next[b] = b < i_->durable.size() ? i_->durable[b] : 0;
      }
    }
    i_->durable = std::move(next);
    i_->unsynced.clear();
    return {};
  }

  error_code truncate(std::uint64_t size) override {
    std::lock_guard lock(s_->mutex);
    if (!writable_) return sys(EBADF);
    if (auto ec = s_->check(op_kind::truncate, path_)) return ec;
    if (i_->mapped) return sys(EBUSY);  // the model's simplification: a mapped file keeps its size
    i_->current.resize(size);
    return {};
  }

  boost::system::result<std::uint64_t> size() override {
    std::lock_guard lock(s_->mutex);
    if (s_->dead) return sys(EIO);
    return i_->current.size();
  }

  boost::system::result<std::unique_ptr<shared_mapping>> map_shared(std::size_t bytes) override;

 private:
  std::shared_ptr<simulated_disk::state> s_;
  std::shared_ptr<inode> i_;
  bool writable_;
  std::string path_;  // as opened: fault rules may select by path
};

// One mapping per file at a time (the model's simplification); it outlives the file object.
class sim_mapping final : public shared_mapping {
 public:
  sim_mapping(std::shared_ptr<simulated_disk::state> s, std::shared_ptr<inode> i)
      : s_(std::move(s)), i_(std::move(i)), words_of_(i_->mapped) {
    words_ = std::span<std::uint64_t>(*words_of_);
  }
  ~sim_mapping() override {
    std::lock_guard lock(s_->mutex);
    fold(*i_);
    i_->mapped.reset();
  }
  sim_mapping(const sim_mapping&) = delete;
  sim_mapping& operator=(const sim_mapping&) = delete;

 private:
  std::shared_ptr<simulated_disk::state> s_;
  std::shared_ptr<inode> i_;
  std::shared_ptr<std::vector<std::uint64_t>> words_of_;
};

boost::system::result<std::unique_ptr<shared_mapping>> sim_file::map_shared(std::size_t bytes) {
  std::lock_guard lock(s_->mutex);
  if (!writable_ || bytes % 8 != 0) return sys(EINVAL);
  if (s_->dead) return sys(EIO);
  if (i_->mapped) return sys(EBUSY);
  if (i_->current.size() < bytes) return sys(EINVAL);  // mmap would map past the end (SIGBUS)
  auto words = std::make_shared<std::vector<std::uint64_t>>(bytes / 8);
  std::memcpy(words->data(), i_->current.data(), bytes);
  i_->mapped = std::move(words);
  return std::unique_ptr<shared_mapping>(std::make_unique<sim_mapping>(s_, i_));
}

class sim_lock final : public dir_lock {
 public:
  sim_lock(std::shared_ptr<simulated_disk::state> s, std::string path) : s_(std::move(s)), path_(std::move(path)) {}
  ~sim_lock() override {
    std::lock_guard lock(s_->mutex);
    s_->locks.erase(path_);
  }
  sim_lock(const sim_lock&) = delete;
  sim_lock& operator=(const sim_lock&) = delete;

 private:
  std::shared_ptr<simulated_disk::state> s_;
  std::string path_;
};

}  // namespace

simulated_disk::simulated_disk() : state_(std::make_shared<state>()) {}
simulated_disk::~simulated_disk() = default;

boost::system::result<std::unique_ptr<file>> simulated_disk::open(const std::string& path, open_mode mode) {
  std::lock_guard lock(state_->mutex);
  if (auto ec = state_->check(op_kind::open, path)) return ec;
  const auto [dir, name] = split(path);
  directory* d = state_->find_dir(dir);
  if (!d) return sys(ENOENT);
  auto it = d->current.find(name);
  if (it != d->current.end() && mode == open_mode::create_exclusive) return sys(EEXIST);
  if (it == d->current.end()) {
    if (mode == open_mode::read_only || mode == open_mode::read_write) return sys(ENOENT);
    it = d->current.emplace(name, std::make_shared<inode>()).first;
  }
  return std::unique_ptr<file>(std::make_unique<sim_file>(state_, it->second, mode != open_mode::read_only, path));
}

error_code simulated_disk::sync_dir(const std::string& dir) {
  std::lock_guard lock(state_->mutex);
  if (auto ec = state_->check(op_kind::sync_dir, dir)) return ec;
  directory* d = state_->find_dir(dir);
  if (!d) return sys(ENOENT);
  d->durable = d->current;
  return {};
}

error_code simulated_disk::remove(const std::string& path) {
  std::lock_guard lock(state_->mutex);
  if (auto ec = state_->check(op_kind::remove, path)) return ec;
  const auto [dir, name] = split(path);
  directory* d = state_->find_dir(dir);
  if (!d || d->current.erase(name) == 0) return sys(ENOENT);
  return {};
}

error_code simulated_disk::rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(state_->mutex);
  if (auto ec = state_->check(op_kind::rename, from)) return ec;
  const auto a = split(from);
  const auto b = split(to);
  directory* da = state_->find_dir(a.dir);
  directory* db = state_->find_dir(b.dir);
  if (!da || !db) return sys(ENOENT);
  auto it = da->current.find(a.name);
  if (it == da->current.end()) return sys(ENOENT);
  auto node = it->second;
  da->current.erase(it);
  db->current[b.name] = std::move(node);
  return {};
}

boost::system::result<std::vector<std::string>> simulated_disk::list(const std::string& dir) {
  std::lock_guard lock(state_->mutex);
  if (auto ec = state_->check(op_kind::list, dir)) return ec;
  directory* d = state_->find_dir(dir);
  if (!d) return sys(ENOENT);
  std::vector<std::string> names;
  for (const auto& [name, i] : d->current) names.push_back(name);
  return names;
}

error_code simulated_disk::create_dir(const std::string& dir) {
  // Directories themselves are durable at once (the model's simplification: the engine's data
  // directory is created once, and its parent synced, before any of this matters).
  std::lock_guard lock(state_->mutex);
  if (state_->dead) return sys(EIO);
  state_->dirs.try_emplace(dir);
  return {};
}

boost::system::result<std::unique_ptr<dir_lock>> simulated_disk::lock(const std::string& path,
                                                                      const std::string& holder,
                                                                      std::string& current_holder) {
  std::lock_guard lock(state_->mutex);
  if (auto it = state_->locks.find(path); it != state_->locks.end()) {
    current_holder = it->second;
    return make_error_code(errc::directory_locked);
  }
  state_->locks[path] = holder;
  return std::unique_ptr<dir_lock>(std::make_unique<sim_lock>(state_, path));
}

void simulated_disk::fail(op_kind kind, std::uint64_t n, int err, bool persistent, std::string path_contains) {
  std::lock_guard lock(state_->mutex);
  state_->rule = fault_rule{kind, n, err, persistent, 0, std::move(path_contains)};
}

void simulated_disk::clear_faults() {
  std::lock_guard lock(state_->mutex);
  state_->rule.reset();
}

void simulated_disk::set_fsyncgate(bool on) {
  std::lock_guard lock(state_->mutex);
  state_->fsyncgate = on;
}

void simulated_disk::crash_at(std::uint64_t n) {
  std::lock_guard lock(state_->mutex);
  state_->crash_op = state_->ops + n;
}

bool simulated_disk::crashed() const {
  std::lock_guard lock(state_->mutex);
  return state_->dead;
}

std::uint64_t simulated_disk::operations() const {
  std::lock_guard lock(state_->mutex);
  return state_->ops;
}

void simulated_disk::hold_writes(std::string path_contains) {
  std::lock_guard lock(state_->hold_mutex);
  state_->hold_path = std::move(path_contains);
}

void simulated_disk::release_writes() {
  {
    std::lock_guard lock(state_->hold_mutex);
    state_->hold_path.clear();
  }
  state_->held.notify_all();
}

std::unique_ptr<simulated_disk> simulated_disk::image(damage model, std::uint64_t seed) const {
  std::lock_guard lock(state_->mutex);
  if (!state_->frozen) state_->fold_all();
  const auto& source = state_->frozen ? *state_->frozen : state_->dirs;
  std::mt19937_64 rng(seed);
  auto out = std::make_unique<simulated_disk>();
  std::map<const inode*, std::shared_ptr<inode>> made;
  auto survivor = [&](const std::shared_ptr<inode>& i) {
    auto& n = made[i.get()];
    if (n) return n;
    n = std::make_shared<inode>();
    std::vector<std::uint8_t> content;
    switch (model) {
      case damage::process_crash:
        content = i->current;
        break;
      case damage::lose_unsynced:
        content = i->durable;
        break;
      case damage::torn_unsynced: {
        content = i->durable;
        constexpr std::uint64_t sector = 512;
        for (const auto& e : i->unsynced) {
          for (std::uint64_t s = e.offset / sector * sector; s < e.offset + e.length; s += sector) {
            if (rng() % 2 == 0) continue;  // this sector did not make it
            const std::uint64_t from = std::max(s, e.offset);
            const std::uint64_t to = std::min({s + sector, e.offset + e.length, std::uint64_t{i->current.size()}});
            if (from >= to) continue;
            if (content.size() < to) content.resize(to);
            std::copy(i->current.begin() + static_cast<std::ptrdiff_t>(from),
                      i->current.begin() + static_cast<std::ptrdiff_t>(to),
                      content.begin() + static_cast<std::ptrdiff_t>(from));
          }
        }
        break;
      }
      case damage::zero_extend:
        content = i->durable;
        if (content.size() < i->current.size()) content.resize(i->current.size(), 0);
        break;
    }
    n->current = content;
    n->durable = std::move(content);
    return n;
  };
  for (const auto& [path, d] : source) {
    directory nd;
    const entries& keep = model == damage::process_crash ? d.current : d.durable;
    for (const auto& [name, i] : keep) nd.current[name] = survivor(i);
    nd.durable = nd.current;
    out->state_->dirs[path] = std::move(nd);
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> simulated_disk::contents(const std::string& path) const {
  std::lock_guard lock(state_->mutex);
  const auto [dir, name] = split(path);
  auto d = state_->dirs.find(dir);
  if (d == state_->dirs.end()) return std::nullopt;
  auto it = d->second.current.find(name);
  if (it == d->second.current.end()) return std::nullopt;
  fold(*it->second);
  return it->second->current;
}

void simulated_disk::overwrite(const std::string& path, std::vector<std::uint8_t> bytes) {
  std::lock_guard lock(state_->mutex);
  const auto [dir, name] = split(path);
  auto& d = state_->dirs[dir];
  auto& node = d.current[name];
  if (!node) node = std::make_shared<inode>();
  node->current = bytes;
  node->durable = std::move(bytes);
  node->unsynced.clear();
  d.durable[name] = node;
}

}  // namespace sluice::fs
