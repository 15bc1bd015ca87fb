// The event types the service emits, one constant each so a typo is a
// compile error. Each type has a JSON Schema per version under
// schemas/events/<type>/v<N>.json (`payments events check-schemas`). Pure.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace payments::events {

inline constexpr std::string_view kPaymentCreated = "payment.created";
inline constexpr std::string_view kPaymentAuthorized = "payment.authorized";
inline constexpr std::string_view kPaymentCaptured = "payment.captured";
inline constexpr std::string_view kPaymentFailed = "payment.failed";
inline constexpr std::string_view kPaymentCanceled = "payment.canceled";
// A full or partial refund of a payment; data is the payment after it.
inline constexpr std::string_view kPaymentRefunded = "payment.refunded";
// data is the refund; subject is still the payment, so it is ordered with it.
inline constexpr std::string_view kRefundCreated = "refund.created";

inline constexpr std::array<std::string_view, 7> kEventTypes = {
    kPaymentCreated,  kPaymentAuthorized, kPaymentCaptured, kPaymentFailed,
    kPaymentCanceled, kPaymentRefunded,   kRefundCreated,
};

inline bool IsKnownEventType(std::string_view type) {
  return std::find(kEventTypes.begin(), kEventTypes.end(), type) != kEventTypes.end();
}

}  // namespace payments::events
