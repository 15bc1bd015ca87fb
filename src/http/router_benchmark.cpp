// Micro-benchmarks of routing on the service's real route table: the routes
// RegisterPaymentRoutes adds, plus /version as PublicApi adds it. The handlers
// are never called, so the pool behind them never connects.
// Run: build/router_benchmark.
#include <benchmark/benchmark.h>

#include <string_view>

#include "api/payment_handlers.h"
#include "db/pool.h"
#include "http/router.h"
#include "processors/sandbox_processor.h"
#include "service/payment_service.h"

namespace {

using payments::http::Router;

// The public listener's router, built once as at start-up.
struct PublicRoutes {
  payments::db::Pool pool{payments::db::PoolOptions{}};
  payments::processors::SandboxProcessor processor{payments::processors::SandboxOptions{}};
  payments::service::PaymentService service{pool, processor, payments::service::ServiceOptions{}};
  payments::api::PublicApi api{[](const std::string&) { return std::optional<std::string>(); }};

  PublicRoutes() { payments::api::RegisterPaymentRoutes(api, service); }
};

const Router& TheRouter() {
  static const PublicRoutes* routes = new PublicRoutes();  // lives as long as the process
  return routes->api.router();
}

void BM_RouterFind(benchmark::State& state, std::string_view method, std::string_view path,
                   Router::Match::Kind expected) {
  const Router& router = TheRouter();
  for (auto _ : state) {
    Router::Match m = router.Find(method, path);
    if (m.kind != expected) state.SkipWithError("unexpected match");
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK_CAPTURE(BM_RouterFind, create_payment, "POST", "/v1/payments",
                  Router::Match::Kind::kFound);
BENCHMARK_CAPTURE(BM_RouterFind, get_payment, "GET", "/v1/payments/pay_01jd8k3m6w9q4r2t7v5x0y1z3a",
                  Router::Match::Kind::kFound);
BENCHMARK_CAPTURE(BM_RouterFind, capture, "POST",
                  "/v1/payments/pay_01jd8k3m6w9q4r2t7v5x0y1z3a/capture",
                  Router::Match::Kind::kFound);
BENCHMARK_CAPTURE(BM_RouterFind, refund, "POST",
                  "/v1/payments/pay_01jd8k3m6w9q4r2t7v5x0y1z3a/refunds",
                  Router::Match::Kind::kFound);
BENCHMARK_CAPTURE(BM_RouterFind, balance_last_route, "GET", "/v1/balance",
                  Router::Match::Kind::kFound);
BENCHMARK_CAPTURE(BM_RouterFind, not_found, "GET", "/v1/customers/cus_1",
                  Router::Match::Kind::kNotFound);
BENCHMARK_CAPTURE(BM_RouterFind, method_not_allowed, "DELETE", "/v1/payments/pay_1",
                  Router::Match::Kind::kMethodNotAllowed);

}  // namespace
