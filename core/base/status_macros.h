// Early-return helpers for absl::Status / absl::StatusOr (abseil 20220623 has none).
//
//   MTCORE_RETURN_IF_ERROR(DoThing());
//   MTCORE_ASSIGN_OR_RETURN(Bytes key, DeriveKey(...));
#ifndef MTCORE_CORE_BASE_STATUS_MACROS_H_
#define MTCORE_CORE_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MTCORE_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status mtcore_status_ = (expr);          \
    if (!mtcore_status_.ok()) return mtcore_status_; \
  } while (0)

#define MTCORE_STATUS_CONCAT_INNER_(a, b) a##b
#define MTCORE_STATUS_CONCAT_(a, b) MTCORE_STATUS_CONCAT_INNER_(a, b)

#define MTCORE_ASSIGN_OR_RETURN(lhs, expr) \
  MTCORE_ASSIGN_OR_RETURN_IMPL_(MTCORE_STATUS_CONCAT_(mtcore_statusor_, __LINE__), lhs, expr)

#define MTCORE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

#endif  // MTCORE_CORE_BASE_STATUS_MACROS_H_
