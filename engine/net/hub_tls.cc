// The hub's TLS context, reloaded with the revocation list (hub_tls.h).
#include "net/hub_tls.h"

#include "net/log_text.h"
#include "net/tls.h"

namespace liaison::net {

Result<HubTls> HubTls::Load(const TlsFiles& files) {
  HubTls tls(files);
  LIAISON_ASSIGN_OR_RETURN(tls.context_, tls.Build());
  tls.stamp_ = tls.CrlStamp();
  return tls;
}

TlsContextPtr HubTls::Current(const std::function<void(const std::string&)>& log) {
  auto stamp = CrlStamp();
  if (stamp == stamp_) return context_;
  stamp_ = stamp;
  Result<TlsContextPtr> fresh = Build();
  if (!fresh.ok()) {
    log("revocation list changed but cannot be loaded; keeping the previous one: " +
        LogEscaped(fresh.status().message()));
    return context_;
  }
  context_ = std::move(fresh).value();
  log("revocation list reloaded from " + LogEscaped(files_.crl));
  return context_;
}

Result<TlsContextPtr> HubTls::Build() const {
  LIAISON_ASSIGN_OR_RETURN(SslCtxPtr ctx, NewHubTlsContext(files_));
  return std::make_shared<boost::asio::ssl::context>(ctx.release());
}

HubTls::Stamp HubTls::CrlStamp() const {
  std::error_code ec;
  auto time = std::filesystem::last_write_time(files_.crl, ec);
  auto size = std::filesystem::file_size(files_.crl, ec);
  return {time, ec ? 0 : size};
}

}  // namespace liaison::net
