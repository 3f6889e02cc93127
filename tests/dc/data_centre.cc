#include "tests/dc/data_centre.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace mtcore::dc {

absl::StatusOr<std::unique_ptr<DataCentre>> DataCentre::Create(
    DcOptions options, const crypto::RsaPrivateKey& rsa_key, RpcHandler& handler,
    crypto::RandomSource& rng) {
  if (options.dc_id < 1 || options.dc_id > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("DataCentre: dc_id ", options.dc_id,
                                                   " is outside 1..1000"));
  }
  if (!options.secret.empty() && options.secret.size() != 16) {
    return absl::InvalidArgumentError(absl::StrCat("DataCentre: the MTProxy secret has ",
                                                   options.secret.size(),
                                                   " bytes, not 16"));
  }
  if (!options.fake_tls_domain.empty()) {
    const std::string& d = options.fake_tls_domain;
    if (options.secret.size() != 16) {
      return absl::InvalidArgumentError(
          "DataCentre: FakeTLS (fake_tls_domain) needs the 16-byte secret as its key");
    }
    if (d.size() > 253) {
      return absl::InvalidArgumentError(absl::StrCat("DataCentre: the FakeTLS domain has ",
                                                     d.size(), " characters, at most 253"));
    }
    for (char c : d) {
      if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != '_') {
        return absl::InvalidArgumentError(absl::StrCat(
            "DataCentre: the FakeTLS domain '", absl::CHexEscape(d),
            "' has a character other than a letter, digit, '.', '-' or '_'"));
      }
    }
    if (options.fake_tls_replay_cache == 0) {
      return absl::InvalidArgumentError("DataCentre: the FakeTLS replay cache must hold at least 1");
    }
  } else if (options.fake_tls_only) {
    return absl::InvalidArgumentError("DataCentre: fake_tls_only without a fake_tls_domain");
  }
  if (options.faults.salt_period_s <= 0) {
    return absl::InvalidArgumentError("DataCentre: salt period must be positive");
  }
  return std::unique_ptr<DataCentre>(
      new DataCentre(std::move(options), rsa_key, handler, rng));
}

std::unique_ptr<ServerConnection> DataCentre::Accept(absl::Time now) {
  state_.UnixNs(now);
  return std::make_unique<ServerConnection>(state_);
}

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Create(DcOptions options,
                                                         const crypto::RsaPrivateKey& rsa_key,
                                                         RpcHandler& handler,
                                                         crypto::RandomSource& rng) {
  std::unique_ptr<Cluster> c(new Cluster());
  for (int id = 1; id <= kDcCount; ++id) {
    DcOptions o = options;
    o.dc_id = id;
    absl::StatusOr<std::unique_ptr<DataCentre>> dc =
        DataCentre::Create(std::move(o), rsa_key, handler, rng);
    if (!dc.ok()) return dc.status();
    c->dcs_.push_back(std::move(*dc));
  }
  return c;
}

}  // namespace mtcore::dc
