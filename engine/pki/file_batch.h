// Writing the files of a PKI directory so that a reader never sees half a file and a
// key is never readable by anyone but its owner, not even for a moment.
//
// A FileBatch stages each file under a temporary name beside it ("NAME.tmp-RANDOM"),
// created with open(O_CREAT | O_EXCL) and the file's final mode, written and synced.
// Commit() then moves every staged file into place in the order staged: a new file
// with link(2), which refuses to replace an existing one, a replacement with
// rename(2); then it syncs the directories. A batch destroyed before a successful
// Commit() removes its temporary files. When Commit() itself fails part way, it
// removes its temporary files and the new files it had put in place; replacements
// already made stay.
//
// Thread-safety: a FileBatch belongs to one thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "liaison/status.h"

namespace liaison::pki {

class FileBatch {
 public:
  FileBatch() = default;
  ~FileBatch();
  FileBatch(const FileBatch&) = delete;
  FileBatch& operator=(const FileBatch&) = delete;

  // Stages `path`, which must not exist when the batch commits.
  Status AddNew(const std::string& path, std::string_view contents, mode_t mode);
  // Stages `path`, replacing the file there, if any.
  Status AddReplacement(const std::string& path, std::string_view contents, mode_t mode);
  Status Commit();

 private:
  struct Staged {
    std::string path;
    std::string temp;
    bool replace = false;
  };
  Status Stage(const std::string& path, std::string_view contents, mode_t mode, bool replace);
  void RemoveTemps();

  std::vector<Staged> staged_;
};

// The whole contents of the file at `path`.
Result<std::string> ReadFileText(const std::string& path);

}  // namespace liaison::pki
