// Where each DC can be reached, from help.getConfig's dc_options.
//
// A DC advertises several addresses: IPv4 and IPv6 ones, ones only for
// media (file downloads), CDN ones, ones that need TCPObfuscated. The table
// keeps, per DC, every address a client can use with the ordinary
// transports:
//   ordinary  not media-only: for the account's connection, in the DC's
//             order with IPv4 first, then IPv6;
//   media     media-only ones, ordered the same: preferred for download
//             connections (DcConnection) when the DC offers them.
// CDN addresses and tcpo_only ones are skipped (CDN DCs are another table's
// job), as are options with a bad port or an empty address; a DC keeps at
// most kMaxPerList addresses per list, repeats dropped.
//
// Example:
//   DcAddressTable t = DcAddressesFromConfig(config);
//   for (const DcAddress& a : t[2].ForDownloads()) ...  // media first
#ifndef MTCORE_CORE_CLIENT_DC_ADDRESSES_H_
#define MTCORE_CORE_CLIENT_DC_ADDRESSES_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tl/api.h"

namespace mtcore::client {

// One address of a DC: a numeric IPv4 or IPv6 address (no brackets).
struct DcAddress {
  std::string ip;
  int32_t port = 0;
  bool ipv6 = false;

  friend bool operator==(const DcAddress& a, const DcAddress& b) {
    return a.ip == b.ip && a.port == b.port && a.ipv6 == b.ipv6;
  }
};

// The usable addresses of one DC.
struct DcAddresses {
  static constexpr size_t kMaxPerList = 16;

  std::vector<DcAddress> ordinary;  // IPv4 first, then IPv6
  std::vector<DcAddress> media;     // media-only: IPv4 first, then IPv6

  // For the account's connection: `ordinary`.
  const std::vector<DcAddress>& ForSession() const { return ordinary; }
  // For a download connection: `media`, then `ordinary` (tried when the
  // media addresses fail, or all there is when the DC has none).
  std::vector<DcAddress> ForDownloads() const;
};

// By DC id.
using DcAddressTable = std::map<int, DcAddresses>;

// The table help.getConfig's answer describes (empty when it lists no
// usable address).
DcAddressTable DcAddressesFromConfig(const tl::config& config);

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_DC_ADDRESSES_H_
