#include "host/store/session_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <system_error>

namespace lokust::host::store {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".lkss";
constexpr std::string_view kTempMarker = ".tmp-";
constexpr std::string_view kMetaSuffix = ".meta.json";

std::string errno_text(const char* what, const fs::path& path) {
  return std::string(what) + " " + path.filename().string() + ": " + std::strerror(errno);
}

// Closes a descriptor on every path out of a function.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool write_all(int fd, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

bool SessionStore::valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

Result<SessionStore> SessionStore::open(const fs::path& data_dir) {
  std::error_code ec;
  fs::path dir = data_dir / "sessions";
  fs::create_directories(dir, ec);
  if (ec) return Result<SessionStore>::err("cannot create " + dir.string() + ": " + ec.message());
  // A writer killed between creating its temp file and renaming it leaves the temp file.
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().find(kTempMarker) != std::string::npos) {
      fs::remove(entry.path(), ec);
    }
  }
  return Result<SessionStore>::ok(SessionStore(std::move(dir)));
}

fs::path SessionStore::file_of(std::string_view id) const {
  return dir_ / (std::string(id) + std::string(kSuffix));
}

fs::path SessionStore::meta_of(std::string_view id) const {
  return dir_ / (std::string(id) + std::string(kMetaSuffix));
}

Status SessionStore::save(std::string_view id, std::span<const uint8_t> bytes) const {
  if (!valid_id(id)) return Status::err("invalid session id for storage");
  return write_atomic(file_of(id), bytes);
}

Status SessionStore::save_meta(std::string_view id, std::span<const uint8_t> bytes) const {
  if (!valid_id(id)) return Status::err("invalid session id for storage");
  return write_atomic(meta_of(id), bytes);
}

Status SessionStore::write_atomic(const fs::path& target, std::span<const uint8_t> bytes) const {
  const fs::path temp =
      dir_ / (target.filename().string() + std::string(kTempMarker) + std::to_string(::getpid()));
  {
    std::unique_lock names(*names_mu_);
    Fd f{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    names.unlock();
    if (f.fd < 0) return Status::err(errno_text("cannot create", temp));
    if (!write_all(f.fd, bytes) || ::fsync(f.fd) != 0) {
      std::string e = errno_text("cannot write", temp);
      ::unlink(temp.c_str());
      return Status::err(e);
    }
  }
  std::unique_lock names(*names_mu_);
  const int renamed = ::rename(temp.c_str(), target.c_str());
  names.unlock();
  if (renamed != 0) {
    std::string e = errno_text("cannot rename to", target);
    ::unlink(temp.c_str());
    return Status::err(e);
  }
  // The rename itself is durable only once the directory entry is on disk.
  Fd d{::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0 || ::fsync(d.fd) != 0) return Status::err(errno_text("cannot sync", dir_));
  return Status::ok({});
}

Result<std::vector<uint8_t>> SessionStore::load(std::string_view id) const {
  if (!valid_id(id)) return Result<std::vector<uint8_t>>::err("invalid session id for storage");
  return read_all(file_of(id), "no stored session " + std::string(id));
}

Result<std::vector<uint8_t>> SessionStore::load_meta(std::string_view id) const {
  if (!valid_id(id)) return Result<std::vector<uint8_t>>::err("invalid session id for storage");
  return read_all(meta_of(id), "no stored metadata for session " + std::string(id));
}

Result<std::vector<uint8_t>> SessionStore::read_all(const fs::path& path,
                                                    const std::string& missing) const {
  using R = Result<std::vector<uint8_t>>;
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return R::err(errno == ENOENT ? missing : errno_text("cannot open", path));
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return R::err(errno_text("cannot read", path));
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return R::ok(std::move(out));
}

Status SessionStore::remove(std::string_view id) const {
  if (!valid_id(id)) return Status::err("invalid session id for storage");
  std::error_code ec;
  fs::remove(meta_of(id), ec);  // metadata is optional: a missing one is fine
  if (!fs::remove(file_of(id), ec)) {
    return Status::err(ec ? "cannot remove session " + std::string(id) + ": " + ec.message()
                          : "no stored session " + std::string(id));
  }
  return Status::ok({});
}

bool SessionStore::contains(std::string_view id) const {
  std::error_code ec;
  return valid_id(id) && fs::is_regular_file(file_of(id), ec);
}

std::vector<std::string> SessionStore::list() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) continue;
    std::string id = name.substr(0, name.size() - kSuffix.size());
    if (valid_id(id) && entry.is_regular_file(ec)) ids.push_back(std::move(id));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace lokust::host::store
