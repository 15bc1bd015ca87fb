#include "payments/card.h"

#include <gtest/gtest.h>

namespace payments {
namespace {

constexpr YearMonth kNow{2026, 11};

CardInput Card(std::string number, int month = 12, int year = 2030,
               std::optional<std::string> cvc = "123") {
  return CardInput{std::move(number), month, year, std::move(cvc)};
}

TEST(CardTest, Luhn) {
  EXPECT_TRUE(LuhnValid("4242424242424242"));
  EXPECT_TRUE(LuhnValid("378282246310005"));
  EXPECT_FALSE(LuhnValid("4242424242424241"));
  EXPECT_FALSE(LuhnValid("42424242424242a2"));
  EXPECT_FALSE(LuhnValid(""));
}

TEST(CardTest, BrandFromPrefix) {
  EXPECT_EQ(BrandOf("4242424242424242"), CardBrand::kVisa);
  EXPECT_EQ(BrandOf("5555555555554444"), CardBrand::kMastercard);
  EXPECT_EQ(BrandOf("2223003122003222"), CardBrand::kMastercard);
  EXPECT_EQ(BrandOf("378282246310005"), CardBrand::kAmex);
  EXPECT_EQ(BrandOf("6011111111111117"), CardBrand::kDiscover);
  EXPECT_EQ(BrandOf("3566002020360505"), CardBrand::kJcb);
  EXPECT_EQ(BrandOf("36227206271667"), CardBrand::kDinersClub);
  EXPECT_EQ(BrandOf("6200000000000005"), CardBrand::kUnionPay);
  EXPECT_EQ(BrandOf("9999999999999995"), std::nullopt);
}

TEST(CardTest, AcceptsAValidCard) {
  auto card = ValidateCard(Card("4242424242424242"), kNow, "payment_method.card");
  ASSERT_TRUE(card.has_value()) << card.error().message;
  EXPECT_EQ(card->brand, CardBrand::kVisa);
  EXPECT_EQ(card->last4, "4242");
  EXPECT_EQ(card->exp_year, 2030);
}

TEST(CardTest, RejectsBadNumbersNamingTheParameter) {
  for (const char* bad : {"4242424242424241", "4242 4242 4242 4242", "42424242", "abc",
                          "99999999999999999995", "9999999999999995"}) {
    auto card = ValidateCard(Card(bad), kNow, "payment_method.card");
    ASSERT_FALSE(card.has_value()) << bad;
    EXPECT_EQ(card.error().kind, ErrorKind::kCard);
    EXPECT_EQ(card.error().code, "invalid_number");
    EXPECT_EQ(card.error().param, "payment_method.card.number");
  }
}

TEST(CardTest, ChecksExpiry) {
  EXPECT_EQ(ValidateCard(Card("4242424242424242", 13), kNow, "c").error().code,
            "invalid_expiry_month");
  EXPECT_EQ(ValidateCard(Card("4242424242424242", 0), kNow, "c").error().code,
            "invalid_expiry_month");
  EXPECT_EQ(ValidateCard(Card("4242424242424242", 10, 2026), kNow, "c").error().code,
            "expired_card");
  EXPECT_TRUE(ValidateCard(Card("4242424242424242", 11, 2026), kNow, "c").has_value());
  EXPECT_EQ(ValidateCard(Card("4242424242424242", 1, 2200), kNow, "c").error().code,
            "invalid_expiry_year");
  auto two_digit = ValidateCard(Card("4242424242424242", 1, 31), kNow, "c");
  ASSERT_TRUE(two_digit.has_value());
  EXPECT_EQ(two_digit->exp_year, 2031);
}

TEST(CardTest, ChecksCvcShapeByBrand) {
  EXPECT_EQ(ValidateCard(Card("4242424242424242", 12, 2030, "12"), kNow, "c").error().code,
            "invalid_cvc");
  EXPECT_EQ(ValidateCard(Card("378282246310005", 12, 2030, "123"), kNow, "c").error().code,
            "invalid_cvc");
  EXPECT_TRUE(ValidateCard(Card("378282246310005", 12, 2030, "1234"), kNow, "c").has_value());
  EXPECT_TRUE(ValidateCard(Card("4242424242424242", 12, 2030, std::nullopt), kNow, "c"));
}

TEST(CardTest, FingerprintIsKeyedAndStable) {
  const std::string a = CardFingerprint("k1", "", "4242424242424242");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a, CardFingerprint("k1", "", "4242424242424242"));
  EXPECT_NE(a, CardFingerprint("k2", "", "4242424242424242"));
  EXPECT_EQ(a.find("4242"), std::string::npos);
}

TEST(CardTest, FingerprintIsScopedToAMerchant) {
  const std::string a = CardFingerprint("k1", "mer_a", "4242424242424242");
  EXPECT_EQ(a, CardFingerprint("k1", "mer_a", "4242424242424242"));
  EXPECT_NE(a, CardFingerprint("k1", "mer_b", "4242424242424242"));
  EXPECT_NE(a, CardFingerprint("k1", "", "4242424242424242"));
  EXPECT_NE(CardFingerprint("k1", "mer_a", "4000000000000002"), a);
}

}  // namespace
}  // namespace payments
