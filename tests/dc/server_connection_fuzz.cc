// Fuzzes the DC's connection engine with client bytes.
//
// Input: byte 0 chooses the mode, byte 1 a parameter, the rest is the data.
//   even mode: raw stream bytes (transport sniffing, obfuscated2 init,
//              framing, the key exchange, encrypted packets), fed in chunks
//              of byte-1 bytes (0: all at once). Bit 1 of byte 0 set: the DC
//              has FakeTLS (kFuzzFakeTlsKey as its secret, domain
//              kFuzzFakeTlsDomain; bit 2 also: FakeTLS only), and the same
//              bytes then go to a second connection of that DC too (a
//              replayed hello). The DC's clock is kStart, so the FakeTLS
//              seeds (raw_faketls_*) carry hellos built for that time and
//              key: the fuzzer cannot forge the HMAC, it mutates what
//              follows (records, the obfuscated2 init, frames). Bytes
//              that start with "GET " take the WebSocket path (the upgrade
//              request, masked frames, then obfuscated2 inside): the ws_*
//              seeds hold a valid request and frames carrying an
//              obfuscated2 init and req_pq_multi (also on /apiws_test with
//              a query), pings, a close, and the refusals: a plain
//              transport inside, a bad obfuscated2 init, a bad length
//              inside (close 1002), a close reason that is not UTF-8
//              (1007), a path not served (404), no Host or two (400);
//   odd mode:  the data is the body of one encrypted message from a client
//              whose key the DC knows (so the fuzzer gets past the MAC into
//              the session: containers, gzip_packed, service messages);
//              byte 1 picks the framing and the seq_no parity.
// Any OnBytes error is fine (the connection closes); crashes, hangs and
// sanitizer reports are not.
#include <cstddef>
#include <cstdint>

#include "tests/dc/dc_test_util.h"

namespace mtcore::dc {
namespace {

using namespace ::mtcore::dc::testing;  // NOLINT

// The FakeTLS DC's key ("fuzz-faketls-key") and domain.
const Bytes kFuzzFakeTlsKey = {'f', 'u', 'z', 'z', '-', 'f', 'a', 'k',
                               'e', 't', 'l', 's', '-', 'k', 'e', 'y'};
constexpr char kFuzzFakeTlsDomain[] = "fuzz.example.org";

void RunConnection(DataCentre& dc, ByteView data, size_t chunk) {
  auto conn = dc.Accept(kStart);
  conn->OnConnected(kStart);
  if (chunk == 0) chunk = data.size() == 0 ? 1 : data.size();
  for (size_t i = 0; i < data.size(); i += chunk) {
    if (!conn->OnBytes(data.subspan(i, std::min(chunk, data.size() - i)), kStart).ok()) return;
    Bytes out;
    conn->PullOutput(out);
    if (conn->WantsClose()) return;
  }
}

void RunRaw(ByteView data, uint8_t mode, size_t chunk) {
  DcOptions options;
  const bool fake_tls = (mode & 2) != 0;
  if (fake_tls) {
    options.secret = kFuzzFakeTlsKey;
    options.fake_tls_domain = kFuzzFakeTlsDomain;
    options.fake_tls_only = (mode & 4) != 0;
  }
  DcHarness h(options);
  RunConnection(h.dc(), data, chunk);
  if (fake_tls) RunConnection(h.dc(), data, chunk);
}

void RunSession(ByteView data, uint8_t param) {
  DcHarness h;
  TestClientOptions o = h.ClientOptions();
  const transport::Framing framings[] = {transport::Framing::kAbridged,
                                         transport::Framing::kIntermediate,
                                         transport::Framing::kPaddedIntermediate,
                                         transport::Framing::kFull};
  o.framing = framings[param & 3];
  TestClient client(o, h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  h.ShareKey(client, kStart);
  Bytes body(data.begin(), data.end());
  while (body.size() % 4 != 0 || body.empty()) body.push_back(0);
  SendOptions so;
  so.content = (param & 4) != 0;
  if (!client.Send(body, link.unix_ns(), so).ok()) return;
  (void)link.Pump();
  // A second message on the same session (duplicate checks, seq order).
  if (!client.Send(body, link.unix_ns(), so).ok()) return;
  (void)link.Pump();
}

}  // namespace
}  // namespace mtcore::dc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  mtcore::ByteView rest(data + 2, size - 2);
  if ((data[0] & 1) == 0) {
    mtcore::dc::RunRaw(rest, data[0], data[1]);
  } else {
    mtcore::dc::RunSession(rest, data[1]);
  }
  return 0;
}
