// Card numbers and secret keys in free text: finding them (to refuse a field
// that holds one) and masking them, as a last line of defence for logs and
// error answers (13–19 digits passing the Luhn check, with or without spaces
// or dashes; sk_test_…, sk_live_…). Code must not log or echo such values in
// the first place; this catches the mistake. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace payments {

// True when free text holds what looks like a card number: 13 to 19 digits
// that pass the Luhn check, written together or in groups joined by single
// spaces or dashes ("4242 4242 4242 4242", "4242-4242-4242-4242"). Within a
// run of such groups every span of whole groups is tried, so a number with
// other digits after it is still found; a run of more than 19 digits without
// separators is taken for an id, not tried piecewise. About one in ten
// 13-19 digit numbers passes Luhn by chance: free-text fields refuse those
// too, which is the price of keeping card numbers out of them.
bool HoldsCardNumber(std::string_view text);

// Returns text with card numbers and secret keys replaced by "[redacted]".
std::string RedactSecrets(std::string text);

// For text that goes back to a client in an error message (which clients and
// their proxies log): RedactSecrets, then every run of 13 or more digits —
// joined by single spaces or dashes or not — whatever its checksum and even
// inside an identifier ("pay_4242424242424242"), since an echo of the
// caller's own input loses nothing a diagnosis needs when a long digit run is
// masked, and a checksum test would let through a card number with one more
// digit stuck to it.
std::string RedactForClient(std::string text);

}  // namespace payments
