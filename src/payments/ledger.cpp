#include "payments/ledger.h"

#include <map>

namespace payments {

std::vector<Posting> CapturePostings(std::string_view currency, int64_t amount) {
  return {{std::string(kProcessorReceivable), std::string(currency), amount},
          {std::string(kMerchantBalance), std::string(currency), -amount}};
}

std::vector<Posting> RefundPostings(std::string_view currency, int64_t amount) {
  return {{std::string(kMerchantBalance), std::string(currency), amount},
          {std::string(kProcessorReceivable), std::string(currency), -amount}};
}

bool IsBalanced(const std::vector<Posting>& postings) {
  if (postings.empty()) return false;
  std::map<std::string, int64_t> sums;
  for (const Posting& p : postings) {
    if (p.amount == 0) return false;
    sums[p.currency] += p.amount;
  }
  for (const auto& [currency, sum] : sums) {
    if (sum != 0) return false;
  }
  return true;
}

}  // namespace payments
