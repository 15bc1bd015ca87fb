// Fuzzes http::ParseWebhookUrl (http/webhook_url.h): the endpoint URL a
// merchant registers, which later decides where the service connects.
//
// Input: the URL text. Checks, beyond not crashing:
//   - a parsed URL has scheme http or https, a port of 1..65535 and a target
//     that starts with '/' and holds only printable ASCII without spaces;
//   - its host is non-empty, without '@', whitespace, control bytes or
//     upper case; an IP host parses as an address and prints back the same,
//     a name is letters, digits, hyphens and dots only;
//   - ToString() parses back to the same fields, and is its own canonical form;
//   - an error is InvalidRequest "url_invalid" on param "url" with a one-line
//     message that is short (it never repeats more than a prefix of the input).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/address_policy.h"
#include "http/webhook_url.h"

namespace {

using payments::http::WebhookUrl;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

void CheckParsed(const WebhookUrl& url) {
  FUZZ_CHECK_MSG(url.scheme == "https" || url.scheme == "http", url.scheme);
  FUZZ_CHECK(url.port >= 1 && url.port <= 65535);
  FUZZ_CHECK_MSG(!url.target.empty() && url.target.front() == '/', url.target);
  for (char c : url.target) FUZZ_CHECK_MSG(c > 0x20 && c < 0x7f, url.target);

  FUZZ_CHECK(!url.host.empty());
  for (char c : url.host) {
    const auto byte = static_cast<unsigned char>(c);
    FUZZ_CHECK_MSG(c != '@', url.host);
    FUZZ_CHECK_MSG(byte > 0x20 && byte < 0x7f, url.host);
    FUZZ_CHECK_MSG(!(c >= 'A' && c <= 'Z'), url.host);
  }
  if (url.host_is_ip) {
    const auto ip = payments::http::ParseIpAddress(url.host);
    FUZZ_CHECK_MSG(ip.has_value(), url.host);
    FUZZ_CHECK_MSG(ip->ToString() == url.host, url.host);
  } else {
    for (char c : url.host) FUZZ_CHECK_MSG(IsNameChar(c), url.host);
    FUZZ_CHECK_MSG(url.host.size() <= 253 && url.host.back() != '.', url.host);
  }

  const std::string text = url.ToString();
  const auto again = payments::http::ParseWebhookUrl(text);
  FUZZ_CHECK_MSG(again.has_value(), text);
  FUZZ_CHECK_MSG(again->scheme == url.scheme && again->host == url.host &&
                     again->port == url.port && again->target == url.target &&
                     again->host_is_ip == url.host_is_ip,
                 text);
  FUZZ_CHECK_MSG(again->ToString() == text, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto url = payments::http::ParseWebhookUrl(input);
  if (url.has_value()) {
    CheckParsed(*url);
    return 0;
  }
  const payments::Error& e = url.error();
  FUZZ_CHECK(e.kind == payments::ErrorKind::kInvalidRequest);
  FUZZ_CHECK_MSG(e.code == "url_invalid", e.code);
  FUZZ_CHECK_MSG(e.param == "url", e.param);
  FUZZ_CHECK(!e.message.empty());
  FUZZ_CHECK_MSG(e.message.find('\n') == std::string::npos, e.message);
  FUZZ_CHECK_MSG(e.message.size() <= 160, e.message);
  return 0;
}
