#include "core/client/dc_addresses.h"

#include <algorithm>
#include <utility>

namespace mtcore::client {

std::vector<DcAddress> DcAddresses::ForDownloads() const {
  std::vector<DcAddress> out = media;
  out.insert(out.end(), ordinary.begin(), ordinary.end());
  return out;
}

DcAddressTable DcAddressesFromConfig(const tl::config& config) {
  DcAddressTable table;
  // Two passes, IPv4 then IPv6, each in the DC's order.
  for (const bool v6 : {false, true}) {
    for (const tl::DcOption& o : config.dc_options) {
      const tl::dcOption* x = o.As<tl::dcOption>();
      if (x == nullptr || x->ipv6 != v6 || x->cdn || x->tcpo_only) continue;
      if (x->port <= 0 || x->port > 65535 || x->ip_address.empty()) continue;
      DcAddresses& dc = table[x->id];
      std::vector<DcAddress>& list = x->media_only ? dc.media : dc.ordinary;
      DcAddress a{x->ip_address, x->port, x->ipv6};
      if (list.size() >= DcAddresses::kMaxPerList ||
          std::find(list.begin(), list.end(), a) != list.end()) {
        continue;
      }
      list.push_back(std::move(a));
    }
  }
  return table;
}

}  // namespace mtcore::client
