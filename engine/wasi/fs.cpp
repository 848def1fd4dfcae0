// The sandboxed filesystem: path resolution beneath a directory descriptor and the POSIX calls
// behind each wasi:filesystem descriptor method.
#include "engine/wasi/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <deque>

namespace lokust::wasi {

namespace {

constexpr std::string_view kErrorCodeNames[kErrorCodeCount] = {
    "access",
    "would-block",
    "already",
    "bad-descriptor",
    "busy",
    "deadlock",
    "quota",
    "exist",
    "file-too-large",
    "illegal-byte-sequence",
    "in-progress",
    "interrupted",
    "invalid",
    "io",
    "is-directory",
    "loop",
    "too-many-links",
    "message-size",
    "name-too-long",
    "no-device",
    "no-entry",
    "no-lock",
    "insufficient-memory",
    "insufficient-space",
    "not-directory",
    "not-empty",
    "not-recoverable",
    "unsupported",
    "no-tty",
    "no-such-device",
    "overflow",
    "not-permitted",
    "pipe",
    "read-only",
    "invalid-seek",
    "text-file-busy",
    "cross-device",
};

// POSIX allows 40 symlinks in one resolution (Linux's MAXSYMLINKS); so do we.
constexpr int kMaxSymlinks = 40;

ErrorCode LastError() { return ErrorCodeFromErrno(errno); }

DescriptorType TypeFromMode(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFBLK:
      return DescriptorType::kBlockDevice;
    case S_IFCHR:
      return DescriptorType::kCharacterDevice;
    case S_IFDIR:
      return DescriptorType::kDirectory;
    case S_IFIFO:
      return DescriptorType::kFifo;
    case S_IFLNK:
      return DescriptorType::kSymbolicLink;
    case S_IFREG:
      return DescriptorType::kRegularFile;
    case S_IFSOCK:
      return DescriptorType::kSocket;
    default:
      return DescriptorType::kUnknown;
  }
}

Datetime FromTimespec(const timespec& ts) {
  return Datetime{static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
}

DescriptorStat FromStat(const struct stat& st) {
  DescriptorStat s;
  s.type = TypeFromMode(st.st_mode);
  s.link_count = st.st_nlink;
  s.size = static_cast<uint64_t>(st.st_size);
  s.data_access = FromTimespec(st.st_atim);
  s.data_modification = FromTimespec(st.st_mtim);
  s.status_change = FromTimespec(st.st_ctim);
  return s;
}

timespec ToTimespec(NewTimestamp t) {
  switch (t.kind) {
    case NewTimestamp::Kind::kNoChange:
      return timespec{0, UTIME_OMIT};
    case NewTimestamp::Kind::kNow:
      return timespec{0, UTIME_NOW};
    case NewTimestamp::Kind::kTimestamp:
      break;
  }
  return timespec{static_cast<time_t>(t.time.seconds), static_cast<long>(t.time.nanoseconds)};
}

MetadataHash HashOf(const struct stat& st) {
  // Identity of the file (device, inode), mixed so that neither half is 0 for real files.
  const uint64_t dev = static_cast<uint64_t>(st.st_dev);
  const uint64_t ino = static_cast<uint64_t>(st.st_ino);
  return MetadataHash{ino * 0x9E3779B97F4A7C15ull ^ dev, dev * 0xC2B2AE3D27D4EB4Full ^ ino};
}

void SplitInto(std::string_view path, std::deque<std::string>& out, bool front) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  if (front) {
    out.insert(out.begin(), parts.begin(), parts.end());
  } else {
    out.insert(out.end(), parts.begin(), parts.end());
  }
}

// readlinkat into a string; nullopt (errno set) when `name` is not a symlink or is missing.
std::optional<std::string> ReadLink(int dirfd, const std::string& name) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return std::nullopt;
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    if (buf.size() >= PATH_MAX * 4) {
      errno = ENAMETOOLONG;
      return std::nullopt;
    }
    buf.resize(buf.size() * 2);
  }
}

// Where a path leads: the directory that holds its last component, and that component ("."
// when the path names the directory itself). The directory fd is owned here unless it is the
// base descriptor's.
struct Located {
  UniqueFd owned;
  int dirfd = -1;
  std::string name;
  bool trailing_slash = false;  // the path ended in '/': it must name a directory
};

// Resolves `path` beneath `base` (see fs.h). With `follow_final`, a symlink in the last
// component is followed too (still beneath `base`).
FsResult<Located> Locate(int base, std::string_view path, bool follow_final) {
  if (path.empty()) return ErrorCode::kNoEntry;
  if (path.find('\0') != std::string_view::npos) return ErrorCode::kInvalid;
  if (path.front() == '/') return ErrorCode::kNotPermitted;
  const bool trailing_slash = path.back() == '/';
  // A trailing slash asks for a directory, so a symlink there is followed (as POSIX does).
  if (trailing_slash) follow_final = true;

  std::deque<std::string> todo;
  SplitInto(path, todo, false);
  std::vector<UniqueFd> stack;  // directories entered beneath base
  auto cur = [&] { return stack.empty() ? base : stack.back().get(); };
  auto finish = [&](std::string name) -> FsResult<Located> {
    Located l;
    l.dirfd = cur();
    if (!stack.empty()) l.owned = std::move(stack.back());
    l.name = std::move(name);
    l.trailing_slash = trailing_slash;
    return l;
  };

  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    const bool last = todo.empty();
    if (c == ".") {
      if (last) return finish(".");
      continue;
    }
    if (c == "..") {
      if (stack.empty()) return ErrorCode::kNotPermitted;  // above the sandbox's root
      stack.pop_back();
      if (last) return finish(".");
      continue;
    }
    if (!last || follow_final) {
      if (auto target = ReadLink(cur(), c)) {
        if (++links > kMaxSymlinks) return ErrorCode::kLoop;
        if (target->empty()) return ErrorCode::kNoEntry;
        if (target->front() == '/') return ErrorCode::kNotPermitted;
        // Splice the link's components in; a trailing slash on the target keeps the
        // component a directory, which the walk checks anyway.
        SplitInto(*target, todo, true);
        if (todo.empty()) return finish(".");
        continue;
      }
      if (errno != EINVAL && errno != ENOENT) return LastError();
      if (errno == ENOENT && !last) return ErrorCode::kNoEntry;
    }
    if (last) return finish(std::move(c));
    int fd = openat(cur(), c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return LastError();
    stack.emplace_back(fd);
  }
  return finish(".");
}

int OpenMode(uint32_t flags) {
  const bool r = flags & kDescRead, w = flags & kDescWrite;
  if (r && w) return O_RDWR;
  if (w) return O_WRONLY;
  return O_RDONLY;
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  const auto i = static_cast<size_t>(code);
  return i < std::size(kErrorCodeNames) ? kErrorCodeNames[i] : "io";
}

ErrorCode ErrorCodeFromErrno(int err) {
  switch (err) {
    case EACCES:
      return ErrorCode::kAccess;
    case EAGAIN:
      return ErrorCode::kWouldBlock;
    case EALREADY:
      return ErrorCode::kAlready;
    case EBADF:
      return ErrorCode::kBadDescriptor;
    case EBUSY:
      return ErrorCode::kBusy;
    case EDEADLK:
      return ErrorCode::kDeadlock;
    case EDQUOT:
      return ErrorCode::kQuota;
    case EEXIST:
      return ErrorCode::kExist;
    case EFBIG:
      return ErrorCode::kFileTooLarge;
    case EILSEQ:
      return ErrorCode::kIllegalByteSequence;
    case EINPROGRESS:
      return ErrorCode::kInProgress;
    case EINTR:
      return ErrorCode::kInterrupted;
    case EINVAL:
      return ErrorCode::kInvalid;
    case EIO:
      return ErrorCode::kIo;
    case EISDIR:
      return ErrorCode::kIsDirectory;
    case ELOOP:
      return ErrorCode::kLoop;
    case EMLINK:
      return ErrorCode::kTooManyLinks;
    case EMSGSIZE:
      return ErrorCode::kMessageSize;
    case ENAMETOOLONG:
      return ErrorCode::kNameTooLong;
    case ENODEV:
      return ErrorCode::kNoDevice;
    case ENOENT:
      return ErrorCode::kNoEntry;
    case ENOLCK:
      return ErrorCode::kNoLock;
    case ENOMEM:
      return ErrorCode::kInsufficientMemory;
    case ENOSPC:
      return ErrorCode::kInsufficientSpace;
    case ENOTDIR:
      return ErrorCode::kNotDirectory;
    case ENOTEMPTY:
      return ErrorCode::kNotEmpty;
    case ENOTRECOVERABLE:
      return ErrorCode::kNotRecoverable;
    case ENOTSUP:
      return ErrorCode::kUnsupported;
    case ENOTTY:
      return ErrorCode::kNoTty;
    case ENXIO:
      return ErrorCode::kNoSuchDevice;
    case EOVERFLOW:
      return ErrorCode::kOverflow;
    case EPERM:
      return ErrorCode::kNotPermitted;
    case EPIPE:
      return ErrorCode::kPipe;
    case EROFS:
      return ErrorCode::kReadOnly;
    case ESPIPE:
      return ErrorCode::kInvalidSeek;
    case ETXTBSY:
      return ErrorCode::kTextFileBusy;
    case EXDEV:
      return ErrorCode::kCrossDevice;
    default:
      return ErrorCode::kIo;
  }
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

FsResult<DescriptorPtr> Descriptor::OpenPreopen(const std::string& host_path, bool writable) {
  int fd = open(host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return LastError();
  const uint32_t flags = kDescRead | (writable ? kDescMutateDirectory : 0);
  return std::make_shared<Descriptor>(UniqueFd(fd), DescriptorType::kDirectory, flags, writable);
}

// ---- files ----

FsResult<std::pair<std::vector<uint8_t>, bool>> Descriptor::Read(uint64_t length,
                                                                 uint64_t offset) const {
  if (!(flags_ & kDescRead)) return ErrorCode::kBadDescriptor;
  if (is_directory()) return ErrorCode::kIsDirectory;
  if (offset > static_cast<uint64_t>(INT64_MAX)) return ErrorCode::kInvalid;
  std::vector<uint8_t> buf(std::min<uint64_t>(length, 1u << 24));
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n =
        pread(fd_.get(), buf.data() + got, buf.size() - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return LastError();
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  buf.resize(got);
  const bool eof = got == 0 && length > 0;
  return std::make_pair(std::move(buf), eof);
}

FsResult<uint64_t> Descriptor::Write(std::span<const uint8_t> data, uint64_t offset) const {
  if (!(flags_ & kDescWrite)) return ErrorCode::kBadDescriptor;
  if (is_directory()) return ErrorCode::kIsDirectory;
  if (offset > static_cast<uint64_t>(INT64_MAX)) return ErrorCode::kInvalid;
  size_t put = 0;
  while (put < data.size()) {
    ssize_t n =
        pwrite(fd_.get(), data.data() + put, data.size() - put, static_cast<off_t>(offset + put));
    if (n < 0) {
      if (errno == EINTR) continue;
      return LastError();
    }
    put += static_cast<size_t>(n);
  }
  return static_cast<uint64_t>(put);
}

FsResult<uint64_t> Descriptor::Append(std::span<const uint8_t> data) const {
  if (!(flags_ & kDescWrite)) return ErrorCode::kBadDescriptor;
  struct stat st;
  if (fstat(fd_.get(), &st) != 0) return LastError();
  return Write(data, static_cast<uint64_t>(st.st_size));
}

FsResult<void> Descriptor::SetSize(uint64_t size) const {
  if (!(flags_ & kDescWrite)) return ErrorCode::kBadDescriptor;
  if (is_directory()) return ErrorCode::kIsDirectory;
  if (size > static_cast<uint64_t>(INT64_MAX)) return ErrorCode::kInvalid;
  if (ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) return LastError();
  return {};
}

FsResult<void> Descriptor::Advise(uint64_t offset, uint64_t length, Advice advice) const {
  if (is_directory()) return ErrorCode::kBadDescriptor;
  static constexpr int kAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                    POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
  int rc = posix_fadvise(fd_.get(), static_cast<off_t>(offset), static_cast<off_t>(length),
                         kAdvice[static_cast<int>(advice)]);
  // Advice is a hint: pipes and odd files that cannot take it are not an error.
  if (rc != 0 && rc != ESPIPE) return ErrorCodeFromErrno(rc);
  return {};
}

FsResult<void> Descriptor::Sync() const {
  if (fsync(fd_.get()) != 0) return LastError();
  return {};
}

FsResult<void> Descriptor::SyncData() const {
  if (fdatasync(fd_.get()) != 0) return LastError();
  return {};
}

// ---- any descriptor ----

FsResult<uint32_t> Descriptor::GetFlags() const { return flags_; }

FsResult<DescriptorType> Descriptor::GetType() const { return type_; }

FsResult<DescriptorStat> Descriptor::Stat() const {
  struct stat st;
  if (fstat(fd_.get(), &st) != 0) return LastError();
  return FromStat(st);
}

FsResult<void> Descriptor::SetTimes(NewTimestamp access, NewTimestamp modification) const {
  if (!writable_) return ErrorCode::kNotPermitted;
  const timespec ts[2] = {ToTimespec(access), ToTimespec(modification)};
  if (futimens(fd_.get(), ts) != 0) return LastError();
  return {};
}

FsResult<MetadataHash> Descriptor::GetMetadataHash() const {
  struct stat st;
  if (fstat(fd_.get(), &st) != 0) return LastError();
  return HashOf(st);
}

bool Descriptor::IsSameObject(const Descriptor& other) const {
  struct stat a, b;
  if (fstat(fd_.get(), &a) != 0 || fstat(other.fd_.get(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// ---- directories ----

FsResult<DescriptorPtr> Descriptor::OpenAt(uint32_t path_flags, std::string_view path,
                                           uint32_t open_flags, uint32_t flags) const {
  if (!is_directory()) return ErrorCode::kNotDirectory;
  if (!(flags_ & kDescRead)) return ErrorCode::kNotPermitted;
  if ((open_flags & kOpenDirectory) && (open_flags & (kOpenCreate | kOpenTruncate))) {
    return ErrorCode::kInvalid;
  }
  // Under a read-only preopen nothing may be created, truncated or opened for writing.
  // (mutate-directory is dropped there rather than refused, so opendir() still works).
  if (!writable_ && ((open_flags & (kOpenCreate | kOpenTruncate)) || (flags & kDescWrite))) {
    return ErrorCode::kNotPermitted;
  }
  auto at = Locate(fd_.get(), path, path_flags & kPathSymlinkFollow);
  if (!at) return at.error();
  int oflags = OpenMode(flags) | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
  if (open_flags & kOpenCreate) oflags |= O_CREAT;
  if (open_flags & kOpenExclusive) oflags |= O_EXCL;
  if (open_flags & kOpenTruncate) oflags |= O_TRUNC;
  if ((open_flags & kOpenDirectory) || at->trailing_slash) oflags |= O_DIRECTORY;
  if (flags & kDescFileIntegritySync) oflags |= O_SYNC;
  if (flags & kDescDataIntegritySync) oflags |= O_DSYNC;
  if (flags & kDescRequestedWriteSync) oflags |= O_RSYNC;
  int fd = openat(at->dirfd, at->name.c_str(), oflags, 0666);
  if (fd < 0) {
    // O_NOFOLLOW on a symlink: ELOOP (the guest asked not to follow it).
    return LastError();
  }
  UniqueFd owned(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return LastError();
  const DescriptorType type = TypeFromMode(st.st_mode);
  // A directory can always list and resolve paths (the preview1 adapter opens directories
  // with no flags, then reads them); it may mutate only in a writable sandbox.
  uint32_t got = flags & ~kDescMutateDirectory;
  if (type == DescriptorType::kDirectory) {
    got = kDescRead | (writable_ ? (flags & kDescMutateDirectory) : 0);
  }
  return std::make_shared<Descriptor>(std::move(owned), type, got, writable_);
}

FsResult<DescriptorStat> Descriptor::StatAt(uint32_t path_flags, std::string_view path) const {
  if (!is_directory()) return ErrorCode::kNotDirectory;
  auto at = Locate(fd_.get(), path, path_flags & kPathSymlinkFollow);
  if (!at) return at.error();
  struct stat st;
  if (fstatat(at->dirfd, at->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return LastError();
  return FromStat(st);
}

FsResult<void> Descriptor::SetTimesAt(uint32_t path_flags, std::string_view path,
                                      NewTimestamp access, NewTimestamp modification) const {
  if (!is_directory()) return ErrorCode::kNotDirectory;
  if (!writable_) return ErrorCode::kNotPermitted;
  auto at = Locate(fd_.get(), path, path_flags & kPathSymlinkFollow);
  if (!at) return at.error();
  const timespec ts[2] = {ToTimespec(access), ToTimespec(modification)};
  if (utimensat(at->dirfd, at->name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return LastError();
  return {};
}

FsResult<MetadataHash> Descriptor::GetMetadataHashAt(uint32_t path_flags,
                                                     std::string_view path) const {
  if (!is_directory()) return ErrorCode::kNotDirectory;
  auto at = Locate(fd_.get(), path, path_flags & kPathSymlinkFollow);
  if (!at) return at.error();
  struct stat st;
  if (fstatat(at->dirfd, at->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return LastError();
  return HashOf(st);
}

FsResult<void> Descriptor::CreateDirectoryAt(std::string_view path) const {
  if (!is_directory()) return ErrorCode::kNotDirectory;
  if (!writable_) return ErrorCode::kNotPermitted;
  auto at = Locate(fd_.get(), path, false);
  if (!at) return at.error();
  if (mkdirat(at->dirfd, at->name.c_str(), 0777) != 0) return LastError();
  return {};
}

FsResult<void> Descriptor::RemoveDirectoryAt(std::string_view path) const {
  if (!is_directory()) return ErrorCode::kNotDirectory;
  if (!writable_) return ErrorCode::kNotPermitted;
  auto at = Locate(fd_.get(), path, false);
  if (!at) return at.error();
  if (at->name == ".") return ErrorCode::kInvalid;  // the directory itself (or the root)
  if (unlinkat(at->dirfd, at->name.c_str(), AT_REMOVEDIR) != 0) return LastError();
  return {};
}

FsResult<void> Descriptor::UnlinkFileAt(std::string_view path) const {
  if (!is_directory()) return ErrorCode::kNotDirectory;
  if (!writable_) return ErrorCode::kNotPermitted;
  auto at = Locate(fd_.get(), path, false);
  if (!at) return at.error();
  if (at->trailing_slash) return ErrorCode::kNotDirectory;
  if (at->name == ".") return ErrorCode::kIsDirectory;
  if (unlinkat(at->dirfd, at->name.c_str(), 0) != 0) return LastError();
  return {};
}

FsResult<void> Descriptor::RenameAt(std::string_view old_path, const Descriptor& new_dir,
                                    std::string_view new_path) const {
  if (!is_directory() || !new_dir.is_directory()) return ErrorCode::kNotDirectory;
  if (!writable_ || !new_dir.writable_) return ErrorCode::kNotPermitted;
  auto from = Locate(fd_.get(), old_path, false);
  if (!from) return from.error();
  auto to = Locate(new_dir.fd_.get(), new_path, false);
  if (!to) return to.error();
  if (from->name == "." || to->name == ".") return ErrorCode::kBusy;
  if (renameat(from->dirfd, from->name.c_str(), to->dirfd, to->name.c_str()) != 0) {
    return LastError();
  }
  return {};
}

FsResult<void> Descriptor::LinkAt(uint32_t old_path_flags, std::string_view old_path,
                                  const Descriptor& new_dir, std::string_view new_path) const {
  if (!is_directory() || !new_dir.is_directory()) return ErrorCode::kNotDirectory;
  if (!writable_ || !new_dir.writable_) return ErrorCode::kNotPermitted;
  if (old_path_flags & kPathSymlinkFollow) return ErrorCode::kInvalid;
  auto from = Locate(fd_.get(), old_path, false);
  if (!from) return from.error();
  auto to = Locate(new_dir.fd_.get(), new_path, false);
  if (!to) return to.error();
  if (from->name == ".") return ErrorCode::kNotPermitted;  // no hard links to directories
  if (linkat(from->dirfd, from->name.c_str(), to->dirfd, to->name.c_str(), 0) != 0) {
    return LastError();
  }
  return {};
}

FsResult<void> Descriptor::SymlinkAt(std::string_view target, std::string_view new_path) const {
  if (!is_directory()) return ErrorCode::kNotDirectory;
  if (!writable_) return ErrorCode::kNotPermitted;
  if (target.find('\0') != std::string_view::npos) return ErrorCode::kInvalid;
  if (!target.empty() && target.front() == '/') return ErrorCode::kNotPermitted;
  auto at = Locate(fd_.get(), new_path, false);
  if (!at) return at.error();
  if (symlinkat(std::string(target).c_str(), at->dirfd, at->name.c_str()) != 0) {
    return LastError();
  }
  return {};
}

FsResult<std::string> Descriptor::ReadlinkAt(std::string_view path) const {
  if (!is_directory()) return ErrorCode::kNotDirectory;
  auto at = Locate(fd_.get(), path, false);
  if (!at) return at.error();
  auto target = ReadLink(at->dirfd, at->name);
  if (!target) return LastError();
  return std::move(*target);
}

FsResult<std::vector<DirectoryEntry>> Descriptor::ReadDirectory() const {
  if (!is_directory()) return ErrorCode::kNotDirectory;
  if (!(flags_ & kDescRead)) return ErrorCode::kNotPermitted;
  // A fresh fd for the listing: fdopendir takes it over and its position is its own.
  int fd = openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return LastError();
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return LastError();
  }
  std::vector<DirectoryEntry> entries;
  errno = 0;
  while (dirent* e = readdir(dir)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    DirectoryEntry entry;
    entry.name = std::string(name);
    switch (e->d_type) {
      case DT_BLK:
        entry.type = DescriptorType::kBlockDevice;
        break;
      case DT_CHR:
        entry.type = DescriptorType::kCharacterDevice;
        break;
      case DT_DIR:
        entry.type = DescriptorType::kDirectory;
        break;
      case DT_FIFO:
        entry.type = DescriptorType::kFifo;
        break;
      case DT_LNK:
        entry.type = DescriptorType::kSymbolicLink;
        break;
      case DT_REG:
        entry.type = DescriptorType::kRegularFile;
        break;
      case DT_SOCK:
        entry.type = DescriptorType::kSocket;
        break;
      default: {
        struct stat st;
        if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
          entry.type = TypeFromMode(st.st_mode);
        }
      }
    }
    entries.push_back(std::move(entry));
    errno = 0;
  }
  const int err = errno;
  closedir(dir);
  if (err != 0) return ErrorCodeFromErrno(err);
  return entries;
}

}  // namespace lokust::wasi
