// A last line of defence for logs and error answers: masks anything that
// looks like a card number (13–19 digits passing the Luhn check, with or
// without spaces or dashes) or a secret key (sk_test_…, sk_live_…). Code must
// not log or echo such values in the first place; this catches the mistake.
// Pure; thread-safe.
#pragma once

#include <string>

namespace payments {

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
