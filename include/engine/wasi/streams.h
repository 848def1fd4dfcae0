// wasi:io streams on the host: input and output streams over files, host fds and memory.
// Reads and writes run on the caller's thread (our engine runs one guest call at a time).
// Files, memory and output streams never make the guest wait: their pollables are ready at
// once. An input stream over a host fd (a pipe, a terminal) is ready when poll(2) says so; a
// non-blocking read of one that has no input returns nothing, and the WASI host waits for
// input, under the context's wait deadline, before a blocking one (ctx.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/wasi/fs.h"

namespace lokust::wasi {

// An I/O error, the wasi:io/error resource: a message, and the filesystem error-code when
// the failure was one (wasi:filesystem/types#filesystem-error-code returns it).
struct IoError {
  std::string message;
  std::optional<ErrorCode> code;
};

// stream-error: closed, or last-operation-failed with an IoError.
struct StreamError {
  bool closed = false;
  IoError error;  // when !closed

  static StreamError Closed() { return StreamError{true, {}}; }
  static StreamError Failed(IoError e) { return StreamError{false, std::move(e)}; }
  static StreamError FromCode(ErrorCode c);
};

template <typename T>
using StreamResult = Expected<T, StreamError>;

class InputStream {
 public:
  virtual ~InputStream() = default;
  // Up to `len` bytes; an empty result only when `len` is 0 or a non-blocking read would
  // block. End of stream is StreamError::Closed().
  virtual StreamResult<std::vector<uint8_t>> Read(uint64_t len, bool blocking) = 0;
  virtual StreamResult<uint64_t> Skip(uint64_t len, bool blocking);
  // The host fd that tells when this stream has input (poll(2) POLLIN), or -1 when a read
  // never waits.
  virtual int ReadinessFd() const { return -1; }
};

class OutputStream {
 public:
  virtual ~OutputStream() = default;
  // How many bytes the next Write may take.
  virtual StreamResult<uint64_t> CheckWrite() { return uint64_t{1} << 20; }
  virtual StreamResult<void> Write(std::span<const uint8_t> data) = 0;
  virtual StreamResult<void> Flush() { return {}; }
  StreamResult<void> WriteZeroes(uint64_t len);
};

using InputStreamPtr = std::shared_ptr<InputStream>;
using OutputStreamPtr = std::shared_ptr<OutputStream>;

// read-via-stream: reads a file from `offset` on.
InputStreamPtr FileInputStream(DescriptorPtr file, uint64_t offset);
// write-via-stream (at `offset`) and append-via-stream (`append`: at the end every time).
OutputStreamPtr FileOutputStream(DescriptorPtr file, uint64_t offset, bool append);
// A host fd (stdin/stdout/stderr of the runner); the fd is not closed. The input stream's
// ReadinessFd is `fd`.
InputStreamPtr HostFdInputStream(int fd);
OutputStreamPtr HostFdOutputStream(int fd);
// In memory: a stdin with fixed contents, an output that hands each write to `sink`.
InputStreamPtr MemoryInputStream(std::vector<uint8_t> data);
OutputStreamPtr CallbackOutputStream(std::function<void(std::span<const uint8_t>)> sink);
// A stream that has ended (stdin of a runner with no input) / that drops everything.
InputStreamPtr ClosedInputStream();
OutputStreamPtr SinkOutputStream();

// Whether a read of host fd `fd` would return at once (input, end of stream or an error).
bool HostFdReadable(int fd);

// Moves up to `len` bytes from `src` to `dst` (output-stream.splice); 0 only at len 0.
StreamResult<uint64_t> Splice(OutputStream& dst, InputStream& src, uint64_t len, bool blocking);

}  // namespace lokust::wasi
