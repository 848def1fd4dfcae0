// wasi:io streams over files, host fds and memory (see streams.h).
#include "engine/wasi/streams.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lokust::wasi {

namespace {

// Largest single read or write we hand the guest at once: keeps one call's buffer bounded.
constexpr uint64_t kMaxChunk = uint64_t{1} << 20;

StreamError FromErrno(int err) {
  return StreamError::Failed(IoError{std::strerror(err), ErrorCodeFromErrno(err)});
}

class FileIn final : public InputStream {
 public:
  FileIn(DescriptorPtr f, uint64_t off) : file_(std::move(f)), offset_(off) {}
  StreamResult<std::vector<uint8_t>> Read(uint64_t len, bool) override {
    auto r = file_->Read(std::min(len, kMaxChunk), offset_);
    if (!r) return StreamError::FromCode(r.error());
    if (r->second) return StreamError::Closed();
    offset_ += r->first.size();
    return std::move(r->first);
  }

 private:
  DescriptorPtr file_;
  uint64_t offset_;
};

class FileOut final : public OutputStream {
 public:
  FileOut(DescriptorPtr f, uint64_t off, bool append)
      : file_(std::move(f)), offset_(off), append_(append) {}
  StreamResult<void> Write(std::span<const uint8_t> data) override {
    if (append_) {
      auto r = file_->Append(data);
      if (!r) return StreamError::FromCode(r.error());
      return {};
    }
    auto r = file_->Write(data, offset_);
    if (!r) return StreamError::FromCode(r.error());
    offset_ += *r;
    return {};
  }

 private:
  DescriptorPtr file_;
  uint64_t offset_;
  bool append_;
};

class FdIn final : public InputStream {
 public:
  explicit FdIn(int fd) : fd_(fd) {}
  StreamResult<std::vector<uint8_t>> Read(uint64_t len, bool blocking) override {
    std::vector<uint8_t> buf(std::min(len, kMaxChunk));
    if (buf.empty()) return buf;
    // A non-blocking read of a pipe or terminal with no input yet returns nothing.
    if (!blocking && !HostFdReadable(fd_)) return std::vector<uint8_t>{};
    for (;;) {
      ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return FromErrno(errno);
      if (n == 0) return StreamError::Closed();
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
  }
  int ReadinessFd() const override { return fd_; }

 private:
  int fd_;
};

class FdOut final : public OutputStream {
 public:
  explicit FdOut(int fd) : fd_(fd) {}
  StreamResult<void> Write(std::span<const uint8_t> data) override {
    size_t put = 0;
    while (put < data.size()) {
      ssize_t n = ::write(fd_, data.data() + put, data.size() - put);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno == EPIPE ? StreamError::Closed() : FromErrno(errno);
      put += static_cast<size_t>(n);
    }
    return {};
  }

 private:
  int fd_;
};

class MemIn final : public InputStream {
 public:
  explicit MemIn(std::vector<uint8_t> d) : data_(std::move(d)) {}
  StreamResult<std::vector<uint8_t>> Read(uint64_t len, bool) override {
    if (pos_ >= data_.size() && len > 0) return StreamError::Closed();
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len, data_.size() - pos_));
    std::vector<uint8_t> out(data_.begin() + pos_, data_.begin() + pos_ + n);
    pos_ += n;
    return out;
  }

 private:
  std::vector<uint8_t> data_;
  size_t pos_ = 0;
};

class CallbackOut final : public OutputStream {
 public:
  explicit CallbackOut(std::function<void(std::span<const uint8_t>)> s) : sink_(std::move(s)) {}
  StreamResult<void> Write(std::span<const uint8_t> data) override {
    if (sink_) sink_(data);
    return {};
  }

 private:
  std::function<void(std::span<const uint8_t>)> sink_;
};

}  // namespace

StreamError StreamError::FromCode(ErrorCode c) {
  return Failed(IoError{std::string(ErrorCodeName(c)), c});
}

StreamResult<uint64_t> InputStream::Skip(uint64_t len, bool blocking) {
  auto r = Read(len, blocking);
  if (!r) return r.error();
  return static_cast<uint64_t>(r->size());
}

StreamResult<void> OutputStream::WriteZeroes(uint64_t len) {
  const std::vector<uint8_t> zeros(static_cast<size_t>(std::min(len, kMaxChunk)), 0);
  while (len > 0) {
    const uint64_t n = std::min<uint64_t>(len, zeros.size());
    auto r = Write(std::span(zeros.data(), static_cast<size_t>(n)));
    if (!r) return r;
    len -= n;
  }
  return {};
}

InputStreamPtr FileInputStream(DescriptorPtr file, uint64_t offset) {
  return std::make_shared<FileIn>(std::move(file), offset);
}
OutputStreamPtr FileOutputStream(DescriptorPtr file, uint64_t offset, bool append) {
  return std::make_shared<FileOut>(std::move(file), offset, append);
}
InputStreamPtr HostFdInputStream(int fd) { return std::make_shared<FdIn>(fd); }
OutputStreamPtr HostFdOutputStream(int fd) { return std::make_shared<FdOut>(fd); }
InputStreamPtr MemoryInputStream(std::vector<uint8_t> data) {
  return std::make_shared<MemIn>(std::move(data));
}
OutputStreamPtr CallbackOutputStream(std::function<void(std::span<const uint8_t>)> sink) {
  return std::make_shared<CallbackOut>(std::move(sink));
}
InputStreamPtr ClosedInputStream() { return std::make_shared<MemIn>(std::vector<uint8_t>{}); }
OutputStreamPtr SinkOutputStream() { return std::make_shared<CallbackOut>(nullptr); }

bool HostFdReadable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

StreamResult<uint64_t> Splice(OutputStream& dst, InputStream& src, uint64_t len, bool blocking) {
  auto room = dst.CheckWrite();
  if (!room) return room.error();
  auto data = src.Read(std::min(len, *room), blocking);
  if (!data) return data.error();
  auto w = dst.Write(*data);
  if (!w) return w.error();
  return static_cast<uint64_t>(data->size());
}

}  // namespace lokust::wasi
