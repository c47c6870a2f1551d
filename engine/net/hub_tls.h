// The hub's TLS context in force (HubTls): built from the PEM files at startup and
// rebuilt when the revocation list's file changes (its modification time or size),
// so that `liaison pki revoke` takes effect at the next connection without a
// restart. A list that cannot be loaded is reported and the previous one stays in
// force. Internal to engine/net/ (server.cc).
//
// Thread-safety: none; it belongs to the event loop's thread. The contexts it hands
// out are shared with the connections that use them.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "liaison/net.h"
#include "liaison/status.h"

namespace liaison::net {

using TlsContextPtr = std::shared_ptr<boost::asio::ssl::context>;

class HubTls {
 public:
  static Result<HubTls> Load(const TlsFiles& files);

  // The context for a new connection; `log` hears about a reload (one line).
  TlsContextPtr Current(const std::function<void(const std::string&)>& log);

 private:
  using Stamp = std::pair<std::filesystem::file_time_type, std::uintmax_t>;
  explicit HubTls(TlsFiles files) : files_(std::move(files)) {}

  Result<TlsContextPtr> Build() const;
  Stamp CrlStamp() const;

  TlsFiles files_;
  TlsContextPtr context_;
  Stamp stamp_;
};

}  // namespace liaison::net
