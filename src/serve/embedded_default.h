// The embedded default (PAYMENTS_DATABASE_URL unset): a private PostgreSQL
// cluster under the data directory, migrated on start, with a demo merchant
// whose key is kept in data_dir/demo-merchant.key (mode 0600) and printed in
// the banner. An external database is never migrated by `serve`.
//
//   Embedded e = MakeEmbedded(config.data_dir);   // nothing runs yet
//   if (auto s = StartEmbedded(config.data_dir, e); !s) ...
//   PrintBanner(public_address, e.demo, config.data_dir);
//
// Not thread-safe: the lifecycle's thread uses it.
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "serve/embedded_postgres.h"

namespace payments::serve {

// The demo merchant of the embedded default.
struct DemoMerchant {
  std::string id;
  std::string key;
};

// The embedded cluster, its connection string and (once started) the demo merchant.
struct Embedded {
  std::unique_ptr<EmbeddedPostgres> pg;
  std::string conninfo;
  DemoMerchant demo;
};

// Lays out data_dir; starts nothing.
Embedded MakeEmbedded(const std::string& data_dir);

// Starts the cluster, migrates it and makes sure of the demo merchant.
payments::Status StartEmbedded(const std::string& data_dir, Embedded& e);

// The banner on stderr: where the service listens and how to take a payment.
void PrintBanner(const std::string& public_address, const DemoMerchant& demo,
                 const std::string& data_dir);

}  // namespace payments::serve
