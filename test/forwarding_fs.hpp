// Test wrappers over a file_system: forwarding_fs passes every call to the inner file system and
// wraps each opened file with wrap(); forwarding_file passes every call to the inner file. A test
// overrides the one call it wants to change (a sync that never syncs, a sync that blocks, ...).
#pragma once

#include "sluice/fs/file_system.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sluice_test {

class forwarding_file : public sluice::fs::file {
 public:
  explicit forwarding_file(std::unique_ptr<sluice::fs::file> inner) : inner_(std::move(inner)) {}
  sluice::fs::error_code write_at(std::uint64_t o, std::span<const std::uint8_t> d) override {
    return inner_->write_at(o, d);
  }
  sluice::fs::error_code read_at(std::uint64_t o, std::span<std::uint8_t> d, std::size_t& got) override {
    return inner_->read_at(o, d, got);
  }
  sluice::fs::error_code sync_data() override { return inner_->sync_data(); }
  sluice::fs::error_code truncate(std::uint64_t n) override { return inner_->truncate(n); }
  boost::system::result<std::uint64_t> size() override { return inner_->size(); }

 private:
  std::unique_ptr<sluice::fs::file> inner_;
};

class forwarding_fs : public sluice::fs::file_system {
 public:
  explicit forwarding_fs(sluice::fs::file_system& inner) : inner_(inner) {}
  boost::system::result<std::unique_ptr<sluice::fs::file>> open(const std::string& p,
                                                                sluice::fs::open_mode m) override {
    auto f = inner_.open(p, m);
    if (!f) return f;
    return wrap(std::move(*f));
  }
  sluice::fs::error_code sync_dir(const std::string& d) override { return inner_.sync_dir(d); }
  sluice::fs::error_code remove(const std::string& p) override { return inner_.remove(p); }
  sluice::fs::error_code rename(const std::string& a, const std::string& b) override { return inner_.rename(a, b); }
  boost::system::result<std::vector<std::string>> list(const std::string& d) override { return inner_.list(d); }
  sluice::fs::error_code create_dir(const std::string& d) override { return inner_.create_dir(d); }
  boost::system::result<std::unique_ptr<sluice::fs::dir_lock>> lock(const std::string& p, const std::string& h,
                                                                    std::string& c) override {
    return inner_.lock(p, h, c);
  }

 protected:
  [[nodiscard]] sluice::fs::file_system& inner() noexcept { return inner_; }
  // The file a caller gets for an opened inner file (the inner file itself by default).
  virtual std::unique_ptr<sluice::fs::file> wrap(std::unique_ptr<sluice::fs::file> f) { return f; }

 private:
  sluice::fs::file_system& inner_;
};

}  // namespace sluice_test
