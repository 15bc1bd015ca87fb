// Fuzzes the query string of the public API: http::ParseQuery
// (http/json_body.h) and api::ParseListParams, ParsePaymentListParams and
// ParseRefundListParams (api/requests.h), which the list endpoints call on the
// raw query of an authenticated request.
//
// Input: the query string as it follows '?' in the request target.
// Checks, beyond not crashing:
//   - a parsed query has at most one parameter per '&'-separated part, and
//     percent-encoding it again parses back to the same parameters;
//   - ParseListParams succeeds only when ParseQuery does, and then holds a
//     limit of 1..100 and a non-empty starting_after (if any);
//   - the payment and refund lists accept whatever ParseListParams does, and
//     more only through their own filters (a time from 0 to year 9999, a
//     non-empty payment id);
//   - every error is InvalidRequest with a code and a message.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "api/requests.h"
#include "fuzz_check.h"
#include "http/json_body.h"

namespace {

void CheckError(const payments::Error& e) {
  FUZZ_CHECK(e.kind == payments::ErrorKind::kInvalidRequest);
  FUZZ_CHECK(!e.code.empty());
  FUZZ_CHECK(!e.message.empty());
}

std::string Encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '_' || u == '.' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);

  const auto params = payments::http::ParseQuery(query);
  if (params) {
    FUZZ_CHECK(params->size() <=
               static_cast<size_t>(std::count(query.begin(), query.end(), '&')) + 1);
    std::string encoded;
    for (const auto& [key, value] : *params) {
      if (!encoded.empty()) encoded += '&';
      encoded += Encode(key) + "=" + Encode(value);
    }
    const auto again = payments::http::ParseQuery(encoded);
    FUZZ_CHECK_MSG(again && *again == *params, encoded);
  } else {
    CheckError(params.error());
  }

  const auto list = payments::api::ParseListParams(query);
  if (list) {
    FUZZ_CHECK(params.has_value());
    FUZZ_CHECK(list->limit >= 1 && list->limit <= 100);
    FUZZ_CHECK(!list->starting_after || !list->starting_after->empty());
  } else {
    CheckError(list.error());
  }

  const auto payment_list = payments::api::ParsePaymentListParams(query);
  if (payment_list) {
    FUZZ_CHECK(params.has_value());
    for (const auto& t : {payment_list->filter.created_gte, payment_list->filter.created_lt}) {
      FUZZ_CHECK(!t || (*t >= 0 && *t <= 253'402'300'799));
    }
  } else {
    CheckError(payment_list.error());
  }
  if (list) FUZZ_CHECK(payment_list.has_value());

  const auto refund_list = payments::api::ParseRefundListParams(query);
  if (refund_list) {
    FUZZ_CHECK(params.has_value());
    FUZZ_CHECK(!refund_list->payment || !refund_list->payment->empty());
  } else {
    CheckError(refund_list.error());
  }
  if (list) FUZZ_CHECK(refund_list.has_value());
  return 0;
}
