// A fresh PostgreSQL database per test, on the server the harness started
// (`pg_harness` exports PAYMENTS_TEST_PG). Run a test binary by hand without
// the harness and it starts a private server of its own for the process.
// Databases are dropped when the TestDatabase goes away.
//
//   TestDatabase db;                 // CREATE DATABASE t_<random>
//   ASSERT_TRUE(db.Migrate());       // the embedded migrations
//   auto conn = db.Connect();
//
// Not thread-safe; one per test.
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "db/connection.h"

namespace payments::testing {

// Conninfo of the maintenance database ("postgres") on the test server.
std::string AdminConnInfo();
// The socket directory of the test server (for starting drills).
std::string ServerSocketDir();

class TestDatabase {
 public:
  TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  const std::string& name() const { return name_; }
  const std::string& conninfo() const { return conninfo_; }
  std::unique_ptr<db::Connection> Connect() const;
  // Applies the embedded migrations.
  payments::Status Migrate() const;

 private:
  std::string name_;
  std::string conninfo_;
};

// Runs SQL and returns the first column of the first row ("" if none); fails
// the calling test on error.
std::string QueryValue(db::Connection& conn, const std::string& sql);

}  // namespace payments::testing
