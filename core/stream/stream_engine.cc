#include "core/stream/stream_engine.h"

namespace mtcore {

StreamEngine::~StreamEngine() = default;

}  // namespace mtcore
