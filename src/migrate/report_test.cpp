#include "migrate/report.h"

#include <gtest/gtest.h>

namespace payments::migrate {
namespace {

TEST(ReportTest, ProgressAsABarAndAsALine) {
  BackfillProgress p;
  p.version = 5;
  p.table = "payments";
  p.keys_done = 450000;
  p.keys_total = 1000000;
  p.rows_updated = 449000;
  p.rows_per_second = 55000;
  EXPECT_EQ(FormatProgressBar(p, 20),
            "backfill 0005 payments [#########...........]  45%  450000/1000000 rows  55000 "
            "rows/s  ETA 0:10");
  EXPECT_EQ(FormatProgressLine(p),
            "backfill 0005 payments: 450000/1000000 rows (45%), 449000 updated, 55000 rows/s, ETA "
            "0:10");
  p.finished = true;
  p.keys_done = 1000000;
  EXPECT_NE(FormatProgressLine(p).find("(100%)"), std::string::npos);
  EXPECT_NE(FormatProgressLine(p).find("ETA done"), std::string::npos);
}

TEST(ReportTest, StatusShowsStatesAndWhatIsPending) {
  AppliedMigration ok;
  ok.version = 1;
  ok.success = true;
  ok.applied_at = "2026-11-24T20:35:04Z";
  ok.applied_by = "payments 0.1.0 (abc) on host";
  ok.execution_ms = 42;
  AppliedMigration failed = ok;
  failed.version = 2;
  failed.success = false;
  failed.error = "0002_b.sql:3: boom";
  std::vector<MigrationStatus> rows = {
      {1, "a", Phase::kNone, MigrationStatus::File::kChanged, ok, {}},
      {2,
       "b",
       Phase::kExpand,
       MigrationStatus::File::kOk,
       failed,
       {{2, 0, "payments", "backfill at line 3", "running", 10, 9}}},
      {3, "c", Phase::kContract, MigrationStatus::File::kNone, std::nullopt, {}},
  };
  const std::string out = FormatStatus(rows);
  EXPECT_NE(out.find("0001     a                            none      applied    changed  "
                     "2026-11-24T20:35:04Z      42 ms  payments 0.1.0 (abc) on host"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("failed"), std::string::npos);
  EXPECT_NE(out.find("0 step(s) done: 0002_b.sql:3: boom"), std::string::npos);
  EXPECT_NE(out.find("backfill of payments running (10 rows visited)"), std::string::npos);
  EXPECT_NE(out.find("pending: 2\n  0002_b (expand)\n  0003_c (contract)\n"), std::string::npos)
      << out;
}

TEST(ValidateHistoryTest, ReportsChangedAndMissingFilesAndGaps) {
  std::vector<Migration> files(4);
  for (int i = 0; i < 4; ++i) {
    files[i].version = i + 1;
    files[i].name = "m" + std::to_string(i + 1);
    files[i].filename = FormatVersion(i + 1) + "_" + files[i].name + ".sql";
    files[i].checksum = "sum" + std::to_string(i + 1);
  }
  files[1].phase = Phase::kContract;
  auto applied = [&](int64_t v, std::string checksum, Phase phase = Phase::kNone) {
    AppliedMigration a;
    a.version = v;
    a.name = "m" + std::to_string(v);
    a.checksum = std::move(checksum);
    a.phase = phase;
    a.success = true;
    return a;
  };
  // 0002 is a contract waiting for its rollout below the expand 0003: fine.
  EXPECT_TRUE(ValidateHistory(files, {applied(1, "sum1"), applied(3, "sum3")}).empty());
  // 0003 missing below the applied 0004: a gap.
  auto gap = ValidateHistory(files, {applied(1, "sum1"), applied(4, "sum4")});
  ASSERT_EQ(gap.size(), 1u);
  EXPECT_EQ(gap[0], "gap: 0003_m3.sql is not applied but later migration 0004 is");
  auto changed = ValidateHistory(files, {applied(1, "other")});
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_NE(changed[0].find("0001_m1.sql changed after it was applied"), std::string::npos);
  auto missing = ValidateHistory(files, {applied(1, "sum1"), applied(9, "x")});
  EXPECT_NE(missing[0].find("migration 0009 (m9) is applied but its file is missing"),
            std::string::npos);
}

}  // namespace
}  // namespace payments::migrate
