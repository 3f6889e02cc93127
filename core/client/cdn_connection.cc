#include "core/client/cdn_connection.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mtcore::client {

absl::StatusOr<std::vector<crypto::RsaPublicKey>> CdnKeys(const tl::CdnConfig& config, int dc) {
  std::vector<crypto::RsaPublicKey> keys;
  const tl::cdnConfig* c = config.As<tl::cdnConfig>();
  if (c == nullptr) return absl::DataLossError("help.getCdnConfig: an empty CdnConfig");
  for (size_t i = 0; i < c->public_keys.size(); ++i) {
    const tl::cdnPublicKey* k = c->public_keys[i].As<tl::cdnPublicKey>();
    if (k == nullptr || k->dc_id != dc) continue;
    absl::StatusOr<crypto::RsaPublicKey> key = crypto::ParseRsaPublicKeyPem(k->public_key);
    if (!key.ok()) {
      return absl::DataLossError(absl::StrCat("help.getCdnConfig: the key of DC ", dc,
                                              " (entry ", i, "): ", key.status().message()));
    }
    keys.push_back(*std::move(key));
  }
  if (keys.empty()) {
    return absl::NotFoundError(absl::StrCat("help.getCdnConfig lists no key for CDN DC ", dc));
  }
  return keys;
}

ClientConfig CdnClientConfig(const ClientConfig& home, int dc,
                             std::vector<crypto::RsaPublicKey> keys) {
  ClientConfig config = home;
  config.engine.dc_id = static_cast<int16_t>(dc);
  config.engine.server_keys = std::move(keys);
  config.engine.auth_key.reset();
  config.resume.reset();
  config.receive_updates = false;
  config.follow_migrations = false;
  config.await_login = false;
  config.without_updates = false;
  config.first_request_id = (static_cast<uint64_t>(dc) << 48) + 1;
  return config;
}

}  // namespace mtcore::client
