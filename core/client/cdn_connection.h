// What a client needs to reach a CDN DC (core.telegram.org/cdn), beside the
// download itself (FileDownload with allow_cdn, file_transfer.h): the CDN's
// RSA keys, which help.getCdnConfig lists (asked on a main DC; they differ
// from the main DCs' keys), and the configuration of a plain Client on the
// CDN DC: a key of its own made with those keys only (a CDN is never
// trusted with a main DC's key, nor a main DC with a CDN's), no login (CDN
// DCs need none: nothing is exported or imported), no updates (a CDN's
// must not be accepted), no migrations. Sans-I/O.
//
// Example:
//   auto cdn_config = ... client.Invoke(tl::help_getCdnConfig{}) ...;
//   MTCORE_ASSIGN_OR_RETURN(auto keys, CdnKeys(cdn_config, download->needs_cdn_dc().value()));
//   auto cdn = Client::Create(CdnClientConfig(client.config(), dc, std::move(keys)), rng, now, unix_ns);
//   // run it under a driver to the CDN DC's address (a dcOption with the cdn flag), then:
//   download->ContinueOnCdn(*cdn_sink);
#ifndef MTCORE_CORE_CLIENT_CDN_CONNECTION_H_
#define MTCORE_CORE_CLIENT_CDN_CONNECTION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "core/client/client.h"
#include "core/crypto/pubkey/rsa_key.h"
#include "tl/api.h"

namespace mtcore::client {

// The public keys help.getCdnConfig lists for DC `dc`. NotFound if it lists
// none for it; DataLoss naming the entry if a key does not parse (PEM).
absl::StatusOr<std::vector<crypto::RsaPublicKey>> CdnKeys(const tl::CdnConfig& config, int dc);

// A client for CDN DC `dc` next to `home` (whose layer, app description and
// transport it keeps): dc_id `dc`, server_keys `keys` only, a new key (no
// resume), no updates, no migrations, no login awaited, request ids from
// (dc << 48) + 1 (never colliding with the home client's).
ClientConfig CdnClientConfig(const ClientConfig& home, int dc,
                             std::vector<crypto::RsaPublicKey> keys);

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_CDN_CONNECTION_H_
