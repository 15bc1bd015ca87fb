// Object ids in the Stripe style: a type prefix and a time-ordered random part,
// "pay_01jd8k3m6w9q4r2t7v5x0y1z3a". The first 10 characters encode the creation
// time in milliseconds (Crockford base32), so ids of one type sort roughly by
// creation and B-tree inserts stay local; the remaining 16 carry 80 random bits.
// Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace payments {

// A new id "<prefix>_<26 characters>".
std::string NewId(std::string_view prefix,
                  std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// True when id is "<prefix>_" followed by 26 Crockford base32 characters. Use
// it to reject malformed ids with a 404 before asking the database.
bool IsWellFormedId(std::string_view id, std::string_view prefix);

}  // namespace payments
