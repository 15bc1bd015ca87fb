// The request validation of the v1 API (api/requests.h), without a server: a
// valid body parses into the use case's input, and each kind of bad input is
// a 400 with the code and the dotted parameter a client can act on.
#include "api/requests.h"

#include <gtest/gtest.h>

#include <string>

#include "support/matchers.h"

namespace payments::api {
namespace {

using nlohmann::json;
using payments::testing::IsOk;

json ValidPayment() {
  return json::parse(R"({"amount":1099,"currency":"usd","payment_method":{"card":{
    "number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}}})");
}

// The code and param of the error a body gets, "ok" when it parses.
std::string Refusal(const payments::Result<service::CreatePaymentInput>& r) {
  if (r) return "ok";
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidRequest) << r.error().message;
  return r.error().code + " " + r.error().param;
}

TEST(ParseCreatePaymentTest, AValidBodyBecomesTheUseCasesInput) {
  json body = ValidPayment();
  body["capture"] = false;
  body["description"] = "Order 42 — café";
  body["metadata"] = {{"order", "42"}};
  auto in = ParseCreatePayment(body);
  ASSERT_THAT(in, IsOk());
  EXPECT_EQ(in->amount, 1099);
  ASSERT_NE(in->currency, nullptr);
  EXPECT_EQ(in->currency->code, "usd");
  EXPECT_EQ(in->card.number, "4242424242424242");
  EXPECT_EQ(in->card.exp_month, 12);
  EXPECT_EQ(in->card.exp_year, 2030);
  EXPECT_EQ(in->card.cvc, "123");
  EXPECT_FALSE(in->capture);
  EXPECT_EQ(in->description, "Order 42 — café");
  EXPECT_EQ(in->metadata.at("order"), "42");
}

TEST(ParseCreatePaymentTest, MissingFieldsAreNamedInDottedForm) {
  for (const auto& [path, param] : std::vector<std::pair<json::json_pointer, std::string>>{
           {json::json_pointer("/amount"), "amount"},
           {json::json_pointer("/currency"), "currency"},
           {json::json_pointer("/payment_method"), "payment_method"},
           {json::json_pointer("/payment_method/card"), "payment_method.card"},
           {json::json_pointer("/payment_method/card/number"), "payment_method.card.number"},
           {json::json_pointer("/payment_method/card/exp_month"), "payment_method.card.exp_month"},
           {json::json_pointer("/payment_method/card/exp_year"), "payment_method.card.exp_year"}}) {
    json body = ValidPayment();
    body[path.parent_pointer()].erase(path.back());
    EXPECT_EQ(Refusal(ParseCreatePayment(body)), "parameter_missing " + param) << path.to_string();
  }
}

TEST(ParseCreatePaymentTest, AmountsAreWholePositiveNumbersWithinTheLimit) {
  for (const json& amount : {json(0), json(-1), json(100'000'000'000), json(10.5), json(1e3),
                             json("1099"), json(nullptr), json(true), json(UINT64_MAX)}) {
    json body = ValidPayment();
    body["amount"] = amount;
    EXPECT_EQ(Refusal(ParseCreatePayment(body)), "parameter_invalid_integer amount") << amount;
  }
  json body = ValidPayment();
  body["amount"] = kMaxAmount;
  EXPECT_THAT(ParseCreatePayment(body), IsOk());
}

TEST(ParseCreatePaymentTest, CurrenciesAreKnownThreeLetterCodesInAnyCase) {
  for (const json& currency : {json("xyz"), json("dollars"), json(""), json(840), json("us")}) {
    json body = ValidPayment();
    body["currency"] = currency;
    EXPECT_EQ(Refusal(ParseCreatePayment(body)), "invalid_currency currency") << currency;
  }
  json body = ValidPayment();
  body["currency"] = "EUR";
  auto in = ParseCreatePayment(body);
  ASSERT_THAT(in, IsOk());
  EXPECT_EQ(in->currency->code, "eur");
}

TEST(ParseCreatePaymentTest, UnknownFieldsAreRefusedAtEveryLevel) {
  json top = ValidPayment();
  top["amount_cents"] = 1;
  EXPECT_EQ(Refusal(ParseCreatePayment(top)), "parameter_unknown amount_cents");
  json pm = ValidPayment();
  pm["payment_method"]["bank"] = json::object();
  EXPECT_EQ(Refusal(ParseCreatePayment(pm)), "parameter_unknown payment_method.bank");
  json card = ValidPayment();
  card["payment_method"]["card"]["pin"] = "1234";
  EXPECT_EQ(Refusal(ParseCreatePayment(card)), "parameter_unknown payment_method.card.pin");
}

// A field named "" (the webhook_request fuzzer's find): the message says so
// instead of naming nothing, and the param is where it is.
TEST(ParseCreatePaymentTest, AFieldWithAnEmptyNameIsSaidToBeOne) {
  json top = ValidPayment();
  top[""] = 1;
  auto r = ParseCreatePayment(top);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "parameter_unknown");
  EXPECT_EQ(r.error().message, "Received a parameter with an empty name.");
  json card = ValidPayment();
  card["payment_method"]["card"][""] = "x";
  r = ParseCreatePayment(card);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "payment_method.card");
  EXPECT_NE(r.error().message.find("empty name in payment_method.card"), std::string::npos);
}

TEST(ParseCreatePaymentTest, WrongTypesAreNamed) {
  json pm = ValidPayment();
  pm["payment_method"] = "card";
  EXPECT_EQ(Refusal(ParseCreatePayment(pm)), "parameter_invalid_object payment_method");
  json number = ValidPayment();
  number["payment_method"]["card"]["number"] = 4242424242424242;
  EXPECT_EQ(Refusal(ParseCreatePayment(number)),
            "parameter_invalid_string payment_method.card.number");
  json month = ValidPayment();
  month["payment_method"]["card"]["exp_month"] = "12";
  EXPECT_EQ(Refusal(ParseCreatePayment(month)),
            "parameter_invalid_integer payment_method.card.exp_month");
  json capture = ValidPayment();
  capture["capture"] = "false";
  EXPECT_EQ(Refusal(ParseCreatePayment(capture)), "parameter_invalid_boolean capture");
}

TEST(ParseCreatePaymentTest, TextIsBoundedInCharactersAndHasNoNul) {
  json at_limit = ValidPayment();
  at_limit["description"] = std::string(1000 / 2, 'a') + [] {
    std::string s;
    for (int i = 0; i < 500; ++i) s += "é";  // two bytes, one character
    return s;
  }();
  EXPECT_THAT(ParseCreatePayment(at_limit), IsOk());
  json too_long = ValidPayment();
  too_long["description"] = std::string(1001, 'a');
  EXPECT_EQ(Refusal(ParseCreatePayment(too_long)), "parameter_invalid_string_too_long description");
  json nul = ValidPayment();
  nul["description"] = std::string("a\0b", 3);
  EXPECT_EQ(Refusal(ParseCreatePayment(nul)), "parameter_invalid_string description");
}

TEST(ParseCreatePaymentTest, MetadataIsAnObjectOfBoundedStrings) {
  json not_object = ValidPayment();
  not_object["metadata"] = json::array({"a"});
  EXPECT_EQ(Refusal(ParseCreatePayment(not_object)), "parameter_invalid_object metadata");
  json too_many = ValidPayment();
  for (int i = 0; i < 51; ++i) too_many["metadata"]["k" + std::to_string(i)] = "v";
  EXPECT_EQ(Refusal(ParseCreatePayment(too_many)), "metadata_too_many_keys metadata");
  json long_key = ValidPayment();
  long_key["metadata"][std::string(41, 'k')] = "v";
  EXPECT_EQ(Refusal(ParseCreatePayment(long_key)),
            "metadata_invalid_key metadata." + std::string(41, 'k'));
  json control_key = ValidPayment();
  control_key["metadata"]["a\nb"] = "v";
  EXPECT_EQ(Refusal(ParseCreatePayment(control_key)), "metadata_invalid_key metadata.a\nb");
  json number_value = ValidPayment();
  number_value["metadata"]["order"] = 42;
  EXPECT_EQ(Refusal(ParseCreatePayment(number_value)), "parameter_invalid_string metadata.order");
  json long_value = ValidPayment();
  long_value["metadata"]["order"] = std::string(501, 'v');
  EXPECT_EQ(Refusal(ParseCreatePayment(long_value)),
            "parameter_invalid_string_too_long metadata.order");
}

TEST(ParseCreatePaymentTest, ACardNumberInFreeTextIsRefusedWithoutRepeatingIt) {
  json description = ValidPayment();
  description["description"] = "card 4242 4242 4242 4242";
  EXPECT_EQ(Refusal(ParseCreatePayment(description)), "parameter_contains_card_number description");
  json value = ValidPayment();
  value["metadata"]["note"] = "5555-5555-5555-4444";
  EXPECT_EQ(Refusal(ParseCreatePayment(value)), "parameter_contains_card_number metadata.note");
  json key = ValidPayment();
  key["metadata"]["4242424242424242"] = "x";
  auto r = ParseCreatePayment(key);
  EXPECT_EQ(Refusal(r), "parameter_contains_card_number metadata");
  EXPECT_EQ(r.error().message.find("4242"), std::string::npos) << r.error().message;
  // The number of the card itself is where it belongs.
  EXPECT_THAT(ParseCreatePayment(ValidPayment()), IsOk());
}

TEST(ParseCaptureTest, AnAmountIsOptionalAndValidated) {
  auto whole = ParseCapture(json::object());
  ASSERT_THAT(whole, IsOk());
  EXPECT_FALSE(*whole);
  auto part = ParseCapture(json{{"amount", 500}});
  ASSERT_THAT(part, IsOk());
  EXPECT_EQ(*part, 500);
  EXPECT_FALSE(ParseCapture(json{{"amount", 0}}));
  EXPECT_FALSE(ParseCapture(json{{"amount_to_capture", 1}}));
}

TEST(ParseCancelTest, TakesAnEmptyObjectOnly) {
  EXPECT_THAT(ParseCancel(json::object()), IsOk());
  auto r = ParseCancel(json{{"reason", "x"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "parameter_unknown");
}

TEST(ParseRefundTest, ReasonsAreAClosedSet) {
  auto ok = ParseRefund(json{{"amount", 100}, {"reason", "duplicate"}, {"metadata", {{"a", "b"}}}});
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->amount, 100);
  EXPECT_EQ(ok->reason, "duplicate");
  auto bad = ParseRefund(json{{"reason", "changed_mind"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "parameter_invalid_enum");
  EXPECT_EQ(bad.error().param, "reason");
}

TEST(ParseListParamsTest, LimitAndCursorAreChecked) {
  auto ok = ParseListParams("limit=100&starting_after=pay_123ABC");
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->limit, 100);
  EXPECT_EQ(ok->starting_after, "pay_123ABC");
  for (const char* query : {"limit=0", "limit=101", "limit=1x", "limit=", "limit=-1"}) {
    auto r = ParseListParams(query);
    ASSERT_FALSE(r) << query;
    EXPECT_EQ(r.error().param, "limit") << query;
  }
  for (const char* query : {"starting_after=", "starting_after=pay%27--", "starting_after=a.b"}) {
    auto r = ParseListParams(query);
    ASSERT_FALSE(r) << query;
    EXPECT_EQ(r.error().param, "starting_after") << query;
  }
  auto unknown = ParseListParams("order=desc");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "parameter_unknown");
}

TEST(ParsePaymentListParamsTest, StatusAndCreationTimeNarrowTheList) {
  auto ok = ParsePaymentListParams(
      "status=partially_refunded&created%5Bgte%5D=1764000000&created[lt]=1764003600&limit=5");
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->filter.status, PaymentStatus::kPartiallyRefunded);
  EXPECT_EQ(ok->filter.created_gte, 1764000000);
  EXPECT_EQ(ok->filter.created_lt, 1764003600);
  EXPECT_EQ(ok->page.limit, 5);
  struct Case {
    const char* query;
    const char* param;
  };
  for (const Case& c :
       {Case{"status=pending", "status"}, Case{"status=", "status"},
        Case{"status=Captured", "status"}, Case{"created[gte]=-1", "created[gte]"},
        Case{"created[gte]=1.5", "created[gte]"}, Case{"created[lt]=253402300800", "created[lt]"},
        Case{"created[lt]=99999999999999999999", "created[lt]"},
        Case{"created[gt]=1", "created[gt]"}, Case{"payment=pay_1", "payment"}}) {
    auto r = ParsePaymentListParams(c.query);
    ASSERT_FALSE(r) << c.query;
    EXPECT_EQ(r.error().param, c.param) << c.query;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidRequest) << c.query;
  }
  auto twice = ParsePaymentListParams("status=failed&status=captured");
  ASSERT_FALSE(twice);
}

TEST(ParseRefundListParamsTest, PaymentNarrowsTheList) {
  auto ok = ParseRefundListParams("payment=pay_123&starting_after=re_9");
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->payment, "pay_123");
  EXPECT_EQ(ok->page.starting_after, "re_9");
  EXPECT_FALSE(ParseRefundListParams("")->payment);
  for (const char* query : {"payment=", "payment=pay'1", "payment=a.b"}) {
    auto r = ParseRefundListParams(query);
    ASSERT_FALSE(r) << query;
    EXPECT_EQ(r.error().param, "payment") << query;
  }
  auto long_id = ParseRefundListParams("payment=pay_" + std::string(80, 'a'));
  ASSERT_FALSE(long_id);
  EXPECT_EQ(long_id.error().param, "payment");
  auto unknown = ParseRefundListParams("status=succeeded");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "parameter_unknown");
}

TEST(ValidateIdempotencyKeyTest, IsOneTo255PrintableAsciiCharacters) {
  EXPECT_THAT(ValidateIdempotencyKey("order-42"), IsOk());
  EXPECT_EQ(ValidateIdempotencyKey("order-4242424242424242").error().code,
            "parameter_contains_card_number");
  EXPECT_THAT(ValidateIdempotencyKey(std::string(255, 'k')), IsOk());
  for (const std::string& key : {std::string(), std::string(256, 'k'), std::string("a\tb"),
                                 std::string("café"), std::string("a\0b", 3)}) {
    auto r = ValidateIdempotencyKey(key);
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().code, "idempotency_key_invalid");
  }
}

}  // namespace
}  // namespace payments::api
