// The sandboxed filesystem behind wasi:filesystem: descriptors of files and directories that
// never reach outside the preopened directory they came from.
//
//   auto root = wasi::Descriptor::OpenPreopen("/srv/data", /*writable=*/true);
//   auto f = (*root)->OpenAt(0, "notes/a.txt", kOpenCreate, kDescRead | kDescWrite);
//
// Every path is resolved relative to a directory descriptor, one component at a time with
// openat(O_PATH | O_NOFOLLOW): `..` may climb back up to the descriptor's own directory but
// never above it, absolute paths are refused, and symbolic links (including ones the guest
// made) are read and resolved by the same walk, so a link pointing outside is refused like a
// `..` would be. Escapes fail with `not-permitted`, as wasi-filesystem's path-resolution.md
// asks. Descriptors opened from a read-only preopen cannot create, write or delete anything.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace lokust::wasi {

// wasi:filesystem/types error-code, in the WIT's order (the enum's discriminants).
enum class ErrorCode : uint8_t {
  kAccess,
  kWouldBlock,
  kAlready,
  kBadDescriptor,
  kBusy,
  kDeadlock,
  kQuota,
  kExist,
  kFileTooLarge,
  kIllegalByteSequence,
  kInProgress,
  kInterrupted,
  kInvalid,
  kIo,
  kIsDirectory,
  kLoop,
  kTooManyLinks,
  kMessageSize,
  kNameTooLong,
  kNoDevice,
  kNoEntry,
  kNoLock,
  kInsufficientMemory,
  kInsufficientSpace,
  kNotDirectory,
  kNotEmpty,
  kNotRecoverable,
  kUnsupported,
  kNoTty,
  kNoSuchDevice,
  kOverflow,
  kNotPermitted,
  kPipe,
  kReadOnly,
  kInvalidSeek,
  kTextFileBusy,
  kCrossDevice,
};
inline constexpr int kErrorCodeCount = static_cast<int>(ErrorCode::kCrossDevice) + 1;

// The WIT label ("not-permitted").
std::string_view ErrorCodeName(ErrorCode code);
// POSIX errno -> error-code (unknown values map to `io`).
ErrorCode ErrorCodeFromErrno(int err);

// A value or an error, for the host core (no exceptions, no component types).
template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Expected(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

template <typename E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  Expected(E error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const E& error() const { return *error_; }

 private:
  std::optional<E> error_;
};

template <typename T>
using FsResult = Expected<T, ErrorCode>;

// An owned POSIX file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// descriptor-type, in the WIT's order.
enum class DescriptorType : uint8_t {
  kUnknown,
  kBlockDevice,
  kCharacterDevice,
  kDirectory,
  kFifo,
  kSymbolicLink,
  kRegularFile,
  kSocket,
};

// Flags are bit sets whose bit i is the WIT flags type's i-th label.
inline constexpr uint32_t kDescRead = 1u << 0;
inline constexpr uint32_t kDescWrite = 1u << 1;
inline constexpr uint32_t kDescFileIntegritySync = 1u << 2;
inline constexpr uint32_t kDescDataIntegritySync = 1u << 3;
inline constexpr uint32_t kDescRequestedWriteSync = 1u << 4;
inline constexpr uint32_t kDescMutateDirectory = 1u << 5;

inline constexpr uint32_t kPathSymlinkFollow = 1u << 0;

inline constexpr uint32_t kOpenCreate = 1u << 0;
inline constexpr uint32_t kOpenDirectory = 1u << 1;
inline constexpr uint32_t kOpenExclusive = 1u << 2;
inline constexpr uint32_t kOpenTruncate = 1u << 3;

struct Datetime {
  uint64_t seconds = 0;
  uint32_t nanoseconds = 0;
  bool operator==(const Datetime&) const = default;
};

struct DescriptorStat {
  DescriptorType type = DescriptorType::kUnknown;
  uint64_t link_count = 0;
  uint64_t size = 0;
  std::optional<Datetime> data_access;
  std::optional<Datetime> data_modification;
  std::optional<Datetime> status_change;
};

// new-timestamp: leave as is, set to now, or set to a time.
struct NewTimestamp {
  enum class Kind : uint8_t { kNoChange, kNow, kTimestamp } kind = Kind::kNoChange;
  Datetime time;
};

struct DirectoryEntry {
  DescriptorType type = DescriptorType::kUnknown;
  std::string name;
};

struct MetadataHash {
  uint64_t lower = 0;
  uint64_t upper = 0;
};

// advice, in the WIT's order.
enum class Advice : uint8_t { kNormal, kSequential, kRandom, kWillNeed, kDontNeed, kNoReuse };

class Descriptor;
using DescriptorPtr = std::shared_ptr<Descriptor>;

// An open file or directory. A directory descriptor is its own sandbox root: paths given to
// its *At methods resolve beneath it. Streams hold the descriptor they read or write through
// a DescriptorPtr, so it stays open while they live.
class Descriptor {
 public:
  // Opens `host_path` (a directory) as a preopen. `writable` false makes every descriptor
  // reached through it read-only.
  static FsResult<DescriptorPtr> OpenPreopen(const std::string& host_path, bool writable);

  DescriptorType type() const { return type_; }
  bool is_directory() const { return type_ == DescriptorType::kDirectory; }
  bool writable() const { return writable_; }
  int fd() const { return fd_.get(); }

  // Files.
  FsResult<std::pair<std::vector<uint8_t>, bool>> Read(uint64_t length, uint64_t offset) const;
  FsResult<uint64_t> Write(std::span<const uint8_t> data, uint64_t offset) const;
  FsResult<uint64_t> Append(std::span<const uint8_t> data) const;  // at the current end
  FsResult<void> SetSize(uint64_t size) const;
  FsResult<void> Advise(uint64_t offset, uint64_t length, Advice advice) const;
  FsResult<void> Sync() const;
  FsResult<void> SyncData() const;

  // Any descriptor.
  FsResult<uint32_t> GetFlags() const;
  FsResult<DescriptorType> GetType() const;
  FsResult<DescriptorStat> Stat() const;
  FsResult<void> SetTimes(NewTimestamp access, NewTimestamp modification) const;
  FsResult<MetadataHash> GetMetadataHash() const;
  bool IsSameObject(const Descriptor& other) const;

  // Directories: paths resolve beneath this descriptor.
  FsResult<DescriptorPtr> OpenAt(uint32_t path_flags, std::string_view path, uint32_t open_flags,
                                 uint32_t flags) const;
  FsResult<DescriptorStat> StatAt(uint32_t path_flags, std::string_view path) const;
  FsResult<void> SetTimesAt(uint32_t path_flags, std::string_view path, NewTimestamp access,
                            NewTimestamp modification) const;
  FsResult<MetadataHash> GetMetadataHashAt(uint32_t path_flags, std::string_view path) const;
  FsResult<void> CreateDirectoryAt(std::string_view path) const;
  FsResult<void> RemoveDirectoryAt(std::string_view path) const;
  FsResult<void> UnlinkFileAt(std::string_view path) const;
  FsResult<void> RenameAt(std::string_view old_path, const Descriptor& new_dir,
                          std::string_view new_path) const;
  // Hard link. Following a symlink at old_path is refused (`invalid`), as in Wasmtime.
  FsResult<void> LinkAt(uint32_t old_path_flags, std::string_view old_path,
                        const Descriptor& new_dir, std::string_view new_path) const;
  // Creates new_path -> target. An absolute target is refused (`not-permitted`); a relative one
  // that climbs out is stored but never followed out of the sandbox.
  FsResult<void> SymlinkAt(std::string_view target, std::string_view new_path) const;
  FsResult<std::string> ReadlinkAt(std::string_view path) const;
  // All entries but "." and "..", in the order the host's readdir gives them.
  FsResult<std::vector<DirectoryEntry>> ReadDirectory() const;

  Descriptor(UniqueFd fd, DescriptorType type, uint32_t flags, bool writable)
      : fd_(std::move(fd)), type_(type), flags_(flags), writable_(writable) {}

 private:
  UniqueFd fd_;
  DescriptorType type_;
  uint32_t flags_;  // descriptor-flags it was opened with
  bool writable_;   // false under a read-only preopen
};

}  // namespace lokust::wasi
