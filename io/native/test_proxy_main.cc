// The loopback test proxy (test_proxy.h) as a program, for tests of other
// programs (examples:quickstart_proxy_test):
//
//   test_proxy_server --kind=socks5|http [--username=U --password=P]
//
// prints `listening=127.0.0.1:PORT`, then `tunnel=HOST:PORT` for each CONNECT
// target it is asked for and `refused=N` when it refuses one, and relays
// until it is killed.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "io/native/event_loop.h"
#include "io/native/test_proxy.h"

int main(int argc, char** argv) {
  using mtcore::io::testing::TestProxy;
  TestProxy::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--kind=socks5") {
      options.kind = mtcore::transport::ProxyKind::kSocks5;
    } else if (a == "--kind=http") {
      options.kind = mtcore::transport::ProxyKind::kHttpConnect;
    } else if (a.rfind("--username=", 0) == 0) {
      options.username = a.substr(11);
    } else if (a.rfind("--password=", 0) == 0) {
      options.password = a.substr(11);
    } else {
      std::fprintf(stderr, "usage: test_proxy_server --kind=socks5|http [--username=U --password=P]\n");
      return 2;
    }
  }
  auto loop = mtcore::io::EventLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "%s\n", loop.status().ToString().c_str());
    return 1;
  }
  auto proxy = TestProxy::Start(**loop, options);
  if (!proxy.ok()) {
    std::fprintf(stderr, "%s\n", proxy.status().ToString().c_str());
    return 1;
  }
  std::printf("listening=%s\n", (*proxy)->address().ToString().c_str());
  std::fflush(stdout);
  size_t reported = 0;
  int refused = 0;
  for (;;) {
    absl::Status s = (*loop)->RunOnce(absl::Milliseconds(100));
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    const std::vector<std::string>& targets = (*proxy)->targets();
    for (; reported < targets.size(); ++reported) {
      std::printf("tunnel=%s\n", targets[reported].c_str());
    }
    if ((*proxy)->refused() != refused) {
      refused = (*proxy)->refused();
      std::printf("refused=%d\n", refused);
    }
    std::fflush(stdout);
  }
}
