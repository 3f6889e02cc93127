// Test helper: a query wrapped the way a client's first request is,
// invokeWithLayer(initConnection(query)), as a TL function (its result is the
// query's, so tl::ParseResult of the wrapper parses the query's answer) or
// serialized.
#ifndef MTCORE_TESTS_SIM_WITH_LAYER_H_
#define MTCORE_TESTS_SIM_WITH_LAYER_H_

#include <string>

#include "core/base/bytes.h"
#include "tl/api.h"

namespace mtcore::sim {

template <typename F>
tl::invokeWithLayer<tl::initConnection<F>> InvokeWithLayer(const F& query,
                                                           const std::string& device_model,
                                                           int layer = 228) {
  tl::invokeWithLayer<tl::initConnection<F>> w;
  w.layer = layer;
  w.query.api_id = 1;
  w.query.device_model = device_model;
  w.query.system_version = "1";
  w.query.app_version = "1";
  w.query.system_lang_code = "en";
  w.query.lang_code = "en";
  w.query.query = query;
  return w;
}

template <typename F>
Bytes WithLayer(const F& query, const std::string& device_model, int layer = 228) {
  return *tl::Serialize(InvokeWithLayer(query, device_model, layer));
}

}  // namespace mtcore::sim

#endif  // MTCORE_TESTS_SIM_WITH_LAYER_H_
