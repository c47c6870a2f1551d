// TLS contexts for the hub daemon and the sync client (liaison/net.h), built with
// OpenSSL's API from the PEM files of a TlsFiles, and what the two ends read from a
// finished (or failed) handshake. Internal to engine/net/; no Asio here, so the
// rules can be read and tested without an event loop.
//
// Hub (server) context: TLS 1.2 minimum; a client certificate is required and
// verified against the CA file, the revocation list (X509_V_FLAG_CRL_CHECK: a
// revoked certificate fails the handshake) and the clientAuth purpose. Sessions are
// never resumed (no cache, no tickets): every connection's certificate is checked
// against the revocation list in force.
//
// Office (client) context: TLS 1.2 minimum; the hub's certificate is verified
// against the CA file for the serverAuth purpose, and its name against the HOST of
// --hub (ExpectHubName); the office's certificate and key are presented.
//
// Every failure to read or match the files is a Status naming the file and the
// reason, so that a daemon with a broken setup fails at startup, not at the first
// connection.
//
// Thread-safety: the functions keep no state. An SSL_CTX may be shared by the
// connections of one event loop.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "liaison/net.h"
#include "liaison/status.h"

namespace liaison::net {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// The hub's context. REQUIRES: files.cert, key, ca and crl all name PEM files.
Result<SslCtxPtr> NewHubTlsContext(const TlsFiles& files);

// The office's context. REQUIRES: files.cert, key and ca name PEM files; files.crl,
// when not empty, is also checked (the hub's certificate may be revoked too).
Result<SslCtxPtr> NewOfficeTlsContext(const TlsFiles& files);

// Makes `ssl` (a client connection) accept only a hub certificate naming `host`: a
// DNS name (also sent as SNI) or an IPv4/IPv6 address (matched against IP SANs).
Status ExpectHubName(SSL* ssl, const std::string& host);

// The office id named by the peer certificate's subject CN (checked with
// IsValidOfficeId). REQUIRES: the handshake completed.
Result<std::string> PeerOfficeId(SSL* ssl);

// The peer's certificate in DER; empty when it sent none.
std::string PeerCertificateDer(SSL* ssl);

// Why a handshake failed, for people: the certificate verification error when
// there is one ("certificate revoked", "certificate has expired"), else
// `transport_error` (the TLS or socket error's text).
std::string HandshakeFailure(SSL* ssl, const std::string& transport_error);

// True when an OpenSSL error reason (ERR_GET_REASON) says a certificate was refused,
// by this side's verification or by the peer's alert: retrying cannot help.
bool IsCertificateRefusal(int reason);

}  // namespace liaison::net
