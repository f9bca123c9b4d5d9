// The POSIX file layer (see file_system.hpp).
#include "sluice/error.hpp"
#include "sluice/fs/file_system.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <set>

namespace sluice::fs {

namespace {

error_code last_error() { return {errno, boost::system::system_category()}; }

class posix_mapping final : public shared_mapping {
 public:
  posix_mapping(void* base, std::size_t bytes) noexcept : base_(base), bytes_(bytes) {
    words_ = std::span<std::uint64_t>(static_cast<std::uint64_t*>(base), bytes / sizeof(std::uint64_t));
  }
  ~posix_mapping() override { ::munmap(base_, bytes_); }
  posix_mapping(const posix_mapping&) = delete;
  posix_mapping& operator=(const posix_mapping&) = delete;

 private:
  void* base_;
  std::size_t bytes_;
};

class posix_file final : public file {
 public:
  explicit posix_file(int fd) noexcept : fd_(fd) {}
  ~posix_file() override { ::close(fd_); }
  posix_file(const posix_file&) = delete;
  posix_file& operator=(const posix_file&) = delete;

  error_code write_at(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      data = data.subspan(static_cast<std::size_t>(n));
      offset += static_cast<std::uint64_t>(n);
    }
    return {};
  }

  error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out, std::size_t& got) override {
    got = 0;
    while (got < out.size()) {
      const ssize_t n = ::pread(fd_, out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      if (n == 0) break;  // end of file
      got += static_cast<std::size_t>(n);
    }
    return {};
  }

  error_code sync_data() override { return ::fdatasync(fd_) == 0 ? error_code{} : last_error(); }

  error_code start_writeback(std::uint64_t offset, std::uint64_t length) override {
    return ::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE) == 0
               ? error_code{}
               : last_error();
  }

  error_code truncate(std::uint64_t size) override {
    return ::ftruncate(fd_, static_cast<off_t>(size)) == 0 ? error_code{} : last_error();
  }

  boost::system::result<std::uint64_t> size() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return last_error();
    return static_cast<std::uint64_t>(st.st_size);
  }

  boost::system::result<std::unique_ptr<shared_mapping>> map_shared(std::size_t bytes) override {
    void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (base == MAP_FAILED) return last_error();
    // Locked: the pages stay resident, so no store ever faults on a page the disk must read back.
    if (::mlock(base, bytes) != 0) {
      const error_code ec = last_error();
      ::munmap(base, bytes);
      return ec;
    }
    return std::unique_ptr<shared_mapping>(std::make_unique<posix_mapping>(base, bytes));
  }

 private:
  int fd_;
};

// flock() locks are per open file description: two engines in one process using separate opens
// would both get the lock on Linux only if they shared it, which they do not; the set catches the
// same path locked twice through this process anyway, with a clear message.
std::mutex held_mutex;
std::set<std::string> held_paths;

class posix_lock final : public dir_lock {
 public:
  posix_lock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~posix_lock() override {
    {
      std::lock_guard lock(held_mutex);
      held_paths.erase(path_);
    }
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  posix_lock(const posix_lock&) = delete;
  posix_lock& operator=(const posix_lock&) = delete;

 private:
  int fd_;
  std::string path_;
};

class posix_file_system final : public file_system {
 public:
  boost::system::result<std::unique_ptr<file>> open(const std::string& path, open_mode mode) override {
    int flags = O_CLOEXEC;
    switch (mode) {
      case open_mode::read_only:
        flags |= O_RDONLY;
        break;
      case open_mode::read_write:
        flags |= O_RDWR;
        break;
      case open_mode::create:
        flags |= O_RDWR | O_CREAT;
        break;
      case open_mode::create_exclusive:
        flags |= O_RDWR | O_CREAT | O_EXCL;
        break;
    }
    const int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) return last_error();
    return std::unique_ptr<file>(std::make_unique<posix_file>(fd));
  }

  error_code sync_dir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return last_error();
    const int rc = ::fsync(fd);
    const error_code ec = rc == 0 ? error_code{} : last_error();
    ::close(fd);
    return ec;
  }

  error_code remove(const std::string& path) override {
    return ::unlink(path.c_str()) == 0 ? error_code{} : last_error();
  }

  error_code rename(const std::string& from, const std::string& to) override {
    return ::rename(from.c_str(), to.c_str()) == 0 ? error_code{} : last_error();
  }

  boost::system::result<std::vector<std::string>> list(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return last_error();
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
      errno = 0;
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return error_code{err, boost::system::system_category()};
    return names;
  }

  error_code create_dir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return {};
    return last_error();
  }

  boost::system::result<std::unique_ptr<dir_lock>> lock(const std::string& path, const std::string& holder,
                                                        std::string& current_holder) override {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return last_error();
    auto read_holder = [&] {
      char buf[256] = {};
      const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      current_holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
    };
    {
      std::lock_guard guard(held_mutex);
      if (held_paths.contains(path)) {
        read_holder();
        ::close(fd);
        return make_error_code(errc::directory_locked);
      }
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        if (err == EWOULDBLOCK) read_holder();
        ::close(fd);
        if (err == EWOULDBLOCK) return make_error_code(errc::directory_locked);
        return error_code{err, boost::system::system_category()};
      }
      held_paths.insert(path);
    }
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, holder.data(), holder.size(), 0) < 0) {
      // The lock holds; only the holder's description could not be written.
      current_holder.clear();
    }
    return std::unique_ptr<dir_lock>(std::make_unique<posix_lock>(fd, path));
  }
};

}  // namespace

file_system& posix() {
  static posix_file_system instance;
  return instance;
}

boost::system::result<std::vector<std::uint8_t>> read_all(file& f) {
  auto size = f.size();
  if (!size) return size.error();
  std::vector<std::uint8_t> out(*size);
  std::size_t got = 0;
  if (auto ec = f.read_at(0, out, got)) return ec;
  out.resize(got);
  return out;
}

}  // namespace sluice::fs
