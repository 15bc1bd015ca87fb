// A last line of defence for logs: masks anything that looks like a card
// number (13–19 digits passing the Luhn check, with or without spaces or
// dashes) or a secret key (sk_test_…, sk_live_…). Code must not log such
// values in the first place; this catches the mistake. Pure; thread-safe.
#pragma once

#include <string>

namespace payments {

// Returns text with card numbers and secret keys replaced by "[redacted]".
std::string RedactSecrets(std::string text);

}  // namespace payments
