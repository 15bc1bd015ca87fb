// Double-entry postings for each money movement. Every entry's postings sum
// to zero per currency (the database checks it again at commit). Debits are
// positive, credits negative; the merchant's balance is the negated sum of
// its merchant_balance account (a liability). Pure; thread-safe.
//
//   capture 1000 usd:  processor_receivable +1000, merchant_balance -1000
//   refund   300 usd:  merchant_balance     +300,  processor_receivable -300
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace payments {

inline constexpr std::string_view kProcessorReceivable = "processor_receivable";
inline constexpr std::string_view kMerchantBalance = "merchant_balance";

struct Posting {
  std::string account;
  std::string currency;
  int64_t amount;  // debit > 0, credit < 0, never 0
};

std::vector<Posting> CapturePostings(std::string_view currency, int64_t amount);
std::vector<Posting> RefundPostings(std::string_view currency, int64_t amount);

// True when postings are non-empty, none is zero and they sum to zero per currency.
bool IsBalanced(const std::vector<Posting>& postings);

}  // namespace payments
