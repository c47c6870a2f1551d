// Staged, synced, all-or-nothing writes of a PKI directory's files; see file_batch.h.
#include "pki/file_batch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "liaison/ids.h"

namespace liaison::pki {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

std::string ParentDir(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

Status WriteAll(int fd, std::string_view contents, const std::string& path) {
  while (!contents.empty()) {
    ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("write " + path + ": " + ErrnoText(errno));
    contents.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) return Status::IoError("sync " + path + ": " + ErrnoText(errno));
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("open directory " + dir + ": " + ErrnoText(errno));
  int synced = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (synced != 0) return Status::IoError("sync directory " + dir + ": " + ErrnoText(err));
  return Status::Ok();
}

}  // namespace

FileBatch::~FileBatch() { RemoveTemps(); }

void FileBatch::RemoveTemps() {
  for (const Staged& s : staged_) {
    if (!s.temp.empty()) ::unlink(s.temp.c_str());
  }
  staged_.clear();
}

Status FileBatch::AddNew(const std::string& path, std::string_view contents, mode_t mode) {
  return Stage(path, contents, mode, /*replace=*/false);
}

Status FileBatch::AddReplacement(const std::string& path, std::string_view contents, mode_t mode) {
  return Stage(path, contents, mode, /*replace=*/true);
}

Status FileBatch::Stage(const std::string& path, std::string_view contents, mode_t mode,
                        bool replace) {
  // The random part of a fresh row id: 20 hex digits.
  std::string temp = path + ".tmp-" + NewRowId().substr(12);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return Status::IoError("create " + temp + ": " + ErrnoText(errno));
  staged_.push_back({path, temp, replace});
  Status written = WriteAll(fd, contents, temp);
  if (::close(fd) != 0 && written.ok()) {
    written = Status::IoError("close " + temp + ": " + ErrnoText(errno));
  }
  return written;
}

Status FileBatch::Commit() {
  std::vector<std::string> placed_new;
  std::set<std::string> dirs;
  for (Staged& s : staged_) {
    int placed = s.replace ? ::rename(s.temp.c_str(), s.path.c_str())
                           : ::link(s.temp.c_str(), s.path.c_str());
    if (placed != 0) {
      const int err = errno;
      Status failed = err == EEXIST ? Status::AlreadyExists(s.path + " exists already")
                                    : Status::IoError("write " + s.path + ": " + ErrnoText(err));
      for (const std::string& path : placed_new) ::unlink(path.c_str());
      RemoveTemps();
      return failed;
    }
    if (!s.replace) {
      ::unlink(s.temp.c_str());
      placed_new.push_back(s.path);
    }
    s.temp.clear();
    dirs.insert(ParentDir(s.path));
  }
  staged_.clear();
  for (const std::string& dir : dirs) LIAISON_RETURN_IF_ERROR(SyncDir(dir));
  return Status::Ok();
}

Result<std::string> ReadFileText(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string message = "read " + path + ": " + ErrnoText(err);
    return err == ENOENT ? Status::NotFound(message) : Status::IoError(message);
  }
  std::string out;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      if (n < 0) return Status::IoError("read " + path + ": " + ErrnoText(err));
      return out;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace liaison::pki
