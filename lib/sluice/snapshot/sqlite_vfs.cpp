// SQLite over fs::file_system (see sqlite_vfs.hpp).
#include "sluice/snapshot/sqlite_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <new>

namespace sluice::snapshot {

struct sqlite_vfs::impl {
  fs::file_system* files = nullptr;
  sqlite3_vfs vfs{};
  sqlite3_vfs* fallback = nullptr;  // the default VFS: randomness, sleep and time
  mutable std::mutex mutex;
  fs::error_code last;  // guarded by mutex

  void failed(const fs::error_code& ec) {
    const std::lock_guard lock(mutex);
    last = ec;
  }
};

namespace {

struct vfs_file {
  sqlite3_file base;  // first: SQLite sees a sqlite3_file*
  sqlite_vfs::impl* owner;
  std::unique_ptr<fs::file>* handle;  // heap: the struct itself is raw memory SQLite allocated
  std::string* path;
  bool delete_on_close;
  bool dir_synced;
};

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

sqlite_vfs::impl* owner_of(sqlite3_vfs* vfs) { return static_cast<sqlite_vfs::impl*>(vfs->pAppData); }
vfs_file* file_of(sqlite3_file* f) { return reinterpret_cast<vfs_file*>(f); }

int x_close(sqlite3_file* f) {
  auto* vf = file_of(f);
  delete vf->handle;
  if (vf->delete_on_close) (void)vf->owner->files->remove(*vf->path);
  delete vf->path;
  vf->handle = nullptr;
  vf->path = nullptr;
  return SQLITE_OK;
}

int x_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  auto* vf = file_of(f);
  std::size_t got = 0;
  auto* bytes = static_cast<std::uint8_t*>(out);
  const auto n = static_cast<std::size_t>(amount);
  if (auto ec = (*vf->handle)->read_at(static_cast<std::uint64_t>(offset), {bytes, n}, got)) {
    vf->owner->failed(ec);
    return SQLITE_IOERR_READ;
  }
  if (got < n) {
    std::memset(bytes + got, 0, n - got);  // SQLite requires the rest zeroed
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int x_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  auto* vf = file_of(f);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  if (auto ec =
          (*vf->handle)->write_at(static_cast<std::uint64_t>(offset), {bytes, static_cast<std::size_t>(amount)})) {
    vf->owner->failed(ec);
    return ec == boost::system::errc::no_space_on_device ? SQLITE_FULL : SQLITE_IOERR_WRITE;
  }
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  auto* vf = file_of(f);
  if (auto ec = (*vf->handle)->truncate(static_cast<std::uint64_t>(size))) {
    vf->owner->failed(ec);
    return SQLITE_IOERR_TRUNCATE;
  }
  return SQLITE_OK;
}

int x_sync(sqlite3_file* f, int /*flags*/) {
  auto* vf = file_of(f);
  if (auto ec = (*vf->handle)->sync_data()) {
    vf->owner->failed(ec);
    return SQLITE_IOERR_FSYNC;
  }
  if (!vf->dir_synced) {
    if (auto ec = vf->owner->files->sync_dir(directory_of(*vf->path))) {
      vf->owner->failed(ec);
      return SQLITE_IOERR_DIR_FSYNC;
    }
    vf->dir_synced = true;
  }
  return SQLITE_OK;
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  auto* vf = file_of(f);
  auto s = (*vf->handle)->size();
  if (!s) {
    vf->owner->failed(s.error());
    return SQLITE_IOERR_FSTAT;
  }
  *size = static_cast<sqlite3_int64>(*s);
  return SQLITE_OK;
}

// One connection per database (the data directory is locked): locks need not exclude anyone.
int x_lock(sqlite3_file* /*f*/, int /*level*/) { return SQLITE_OK; }
int x_unlock(sqlite3_file* /*f*/, int /*level*/) { return SQLITE_OK; }
int x_check_reserved_lock(sqlite3_file* /*f*/, int* out) {
  *out = 0;
  return SQLITE_OK;
}
int x_file_control(sqlite3_file* /*f*/, int /*op*/, void* /*arg*/) { return SQLITE_NOTFOUND; }
int x_sector_size(sqlite3_file* /*f*/) { return 4096; }
// As the default unix VFS: writing a sector never damages its neighbours.
int x_device_characteristics(sqlite3_file* /*f*/) { return SQLITE_IOCAP_POWERSAFE_OVERWRITE; }

const sqlite3_io_methods io_methods = {
    1,  // iVersion: no shared-memory methods (exclusive locking mode keeps the WAL index in heap)
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

int x_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* out, int flags, int* out_flags) {
  auto* owner = owner_of(vfs);
  auto* vf = file_of(out);
  vf->base.pMethods = nullptr;                  // SQLite calls xClose only if this is set
  if (name == nullptr) return SQLITE_CANTOPEN;  // temporary files: the store keeps them in memory
  fs::open_mode mode = fs::open_mode::read_write;
  if ((flags & SQLITE_OPEN_READONLY) != 0) mode = fs::open_mode::read_only;
  if ((flags & SQLITE_OPEN_CREATE) != 0) {
    mode = (flags & SQLITE_OPEN_EXCLUSIVE) != 0 ? fs::open_mode::create_exclusive : fs::open_mode::create;
  }
  auto opened = owner->files->open(name, mode);
  if (!opened) {
    owner->failed(opened.error());
    return SQLITE_CANTOPEN;
  }
  try {
    vf->handle = new std::unique_ptr<fs::file>(std::move(*opened));
    vf->path = new std::string(name);
  } catch (const std::bad_alloc&) {
    delete vf->handle;
    return SQLITE_NOMEM;
  }
  vf->owner = owner;
  vf->delete_on_close = (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
  vf->dir_synced = false;
  vf->base.pMethods = &io_methods;
  if (out_flags != nullptr) *out_flags = flags;
  return SQLITE_OK;
}

int x_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  auto* owner = owner_of(vfs);
  if (auto ec = owner->files->remove(name)) {
    if (ec == boost::system::errc::no_such_file_or_directory) return SQLITE_IOERR_DELETE_NOENT;
    owner->failed(ec);
    return SQLITE_IOERR_DELETE;
  }
  if (sync_dir != 0) {
    if (auto ec = owner->files->sync_dir(directory_of(name))) {
      owner->failed(ec);
      return SQLITE_IOERR_DIR_FSYNC;
    }
  }
  return SQLITE_OK;
}

// Exists means "exists and is not empty", as in the unix VFS (an empty WAL is no WAL).
int x_access(sqlite3_vfs* vfs, const char* name, int /*flags*/, int* out) {
  auto* owner = owner_of(vfs);
  *out = 0;
  auto f = owner->files->open(name, fs::open_mode::read_only);
  if (!f) return SQLITE_OK;
  auto size = (*f)->size();
  *out = size && *size > 0 ? 1 : 0;
  return SQLITE_OK;
}

int x_full_pathname(sqlite3_vfs* /*vfs*/, const char* name, int size, char* out) {
  const auto n = std::strlen(name);
  if (n + 1 > static_cast<std::size_t>(size)) return SQLITE_CANTOPEN;
  std::memcpy(out, name, n + 1);
  return SQLITE_OK;
}

int x_randomness(sqlite3_vfs* vfs, int n, char* out) {
  auto* fb = owner_of(vfs)->fallback;
  return fb->xRandomness(fb, n, out);
}
int x_sleep(sqlite3_vfs* vfs, int micros) {
  auto* fb = owner_of(vfs)->fallback;
  return fb->xSleep(fb, micros);
}
int x_current_time(sqlite3_vfs* vfs, double* out) {
  auto* fb = owner_of(vfs)->fallback;
  return fb->xCurrentTime(fb, out);
}
int x_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  auto* fb = owner_of(vfs)->fallback;
  return fb->xCurrentTimeInt64(fb, out);
}
int x_get_last_error(sqlite3_vfs* vfs, int n, char* out) {
  auto* owner = owner_of(vfs);
  const std::lock_guard lock(owner->mutex);
  if (n > 0) {
    const std::string text = owner->last.message();
    const auto len = std::min(text.size(), static_cast<std::size_t>(n - 1));
    std::memcpy(out, text.data(), len);
    out[len] = '\0';
  }
  return owner->last.value();
}

std::atomic<unsigned> next_vfs_number{0};

}  // namespace

sqlite_vfs::sqlite_vfs(fs::file_system& files) : impl_(std::make_unique<impl>()) {
  name_ = "sluice-" + std::to_string(next_vfs_number.fetch_add(1, std::memory_order_relaxed));
  impl_->files = &files;
  impl_->fallback = sqlite3_vfs_find(nullptr);
  auto& v = impl_->vfs;
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(vfs_file));
  v.mxPathname = 4096;
  v.zName = name_.c_str();
  v.pAppData = impl_.get();
  v.xOpen = x_open;
  v.xDelete = x_delete;
  v.xAccess = x_access;
  v.xFullPathname = x_full_pathname;
  v.xRandomness = x_randomness;
  v.xSleep = x_sleep;
  v.xCurrentTime = x_current_time;
  v.xGetLastError = x_get_last_error;
  v.xCurrentTimeInt64 = x_current_time_int64;
  sqlite3_vfs_register(&v, /*makeDflt=*/0);
}

sqlite_vfs::~sqlite_vfs() { sqlite3_vfs_unregister(&impl_->vfs); }

void sqlite_vfs::clear_error() {
  const std::lock_guard lock(impl_->mutex);
  impl_->last = {};
}

fs::error_code sqlite_vfs::last_error() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->last;
}

}  // namespace sluice::snapshot
