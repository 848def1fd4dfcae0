// Durable session storage in the host's data directory: one file per session holding the
// guest's full-fidelity export (session-admin.export-session). Writes are atomic (temp file,
// fsync, rename, fsync of the directory), so a host killed at any moment leaves either the
// previous or the new export of a session on disk, never a torn one.
//
// Next to an export a host may keep its own metadata for the session (<id>.meta.json: the
// session host records the agent runtime a session runs on there, never a key), written the
// same way; remove() removes both, list() lists sessions that have an export.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "host/result.h"

namespace lokust::host::store {

class SessionStore {
 public:
  // Opens (creating if needed) <data_dir>/sessions and removes temp files that a killed
  // writer left behind.
  static Result<SessionStore> open(const std::filesystem::path& data_dir);

  // Session ids become file names, so only [A-Za-z0-9_-], 1..128 bytes, are accepted.
  static bool valid_id(std::string_view id);

  Status save(std::string_view id, std::span<const uint8_t> bytes) const;
  Result<std::vector<uint8_t>> load(std::string_view id) const;
  // The host's metadata of a session (optional; see above).
  Status save_meta(std::string_view id, std::span<const uint8_t> bytes) const;
  Result<std::vector<uint8_t>> load_meta(std::string_view id) const;
  Status remove(std::string_view id) const;
  bool contains(std::string_view id) const;
  std::vector<std::string> list() const;  // sorted ids

  const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit SessionStore(std::filesystem::path dir)
      : dir_(std::move(dir)), names_mu_(std::make_shared<std::mutex>()) {}
  std::filesystem::path file_of(std::string_view id) const;
  std::filesystem::path meta_of(std::string_view id) const;
  Status write_atomic(const std::filesystem::path& target, std::span<const uint8_t> bytes) const;
  Result<std::vector<uint8_t>> read_all(const std::filesystem::path& path,
                                        const std::string& missing) const;
  std::filesystem::path dir_;
  std::shared_ptr<std::mutex> names_mu_;
};

}  // namespace lokust::host::store
