#include "core/money.h"

#include <gtest/gtest.h>

namespace payments {
namespace {

TEST(MoneyTest, FindsCurrenciesInAnyCaseWithTheirExponent) {
  ASSERT_NE(FindCurrency("USD"), nullptr);
  EXPECT_EQ(FindCurrency("usd")->exponent, 2);
  EXPECT_EQ(FindCurrency("UsD")->code, "usd");
  EXPECT_EQ(FindCurrency("jpy")->exponent, 0);
  EXPECT_EQ(FindCurrency("KWD")->exponent, 3);
  EXPECT_EQ(FindCurrency("eur")->exponent, 2);
}

TEST(MoneyTest, RejectsUnknownAndMalformedCodes) {
  EXPECT_EQ(FindCurrency("xyz"), nullptr);
  EXPECT_EQ(FindCurrency("us"), nullptr);
  EXPECT_EQ(FindCurrency("usdd"), nullptr);
  EXPECT_EQ(FindCurrency(""), nullptr);
  EXPECT_EQ(FindCurrency("u$d"), nullptr);
  EXPECT_EQ(FindCurrency("xau"), nullptr);  // gold is not a currency one pays in
}

TEST(MoneyTest, AmountBounds) {
  EXPECT_FALSE(IsValidAmount(0));
  EXPECT_FALSE(IsValidAmount(-1));
  EXPECT_TRUE(IsValidAmount(1));
  EXPECT_TRUE(IsValidAmount(99'999'999'999));
  EXPECT_FALSE(IsValidAmount(100'000'000'000));
}

TEST(MoneyTest, FormatsWithTheCurrencyExponent) {
  EXPECT_EQ(FormatAmount(1099, *FindCurrency("usd")), "10.99 USD");
  EXPECT_EQ(FormatAmount(5, *FindCurrency("usd")), "0.05 USD");
  EXPECT_EQ(FormatAmount(1099, *FindCurrency("jpy")), "1099 JPY");
  EXPECT_EQ(FormatAmount(1234, *FindCurrency("kwd")), "1.234 KWD");
}

}  // namespace
}  // namespace payments
