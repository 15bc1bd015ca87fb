#include "store/instance_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include "core/build_info.h"
#include "core/ids.h"

namespace payments::store {
namespace {

constexpr db::Statement kUpsert{
    "instances.upsert",
    "INSERT INTO instances (id, binary_version, schema_version, host, pid) "
    "VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (id) DO UPDATE SET binary_version = EXCLUDED.binary_version, "
    "schema_version = EXCLUDED.schema_version, host = EXCLUDED.host, pid = EXCLUDED.pid, "
    "heartbeat_at = now()"};
constexpr db::Statement kPrune{"instances.prune",
                               "DELETE FROM instances WHERE heartbeat_at < now() - make_interval("
                               "secs => $1::double precision)"};
constexpr db::Statement kHeartbeat{"instances.heartbeat",
                                   "UPDATE instances SET heartbeat_at = now() WHERE id = $1"};
constexpr db::Statement kDelete{"instances.delete", "DELETE FROM instances WHERE id = $1"};
constexpr db::Statement kListLive{
    "instances.list_live",
    "SELECT id, binary_version, schema_version, host, pid, "
    "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
    "FROM instances WHERE heartbeat_at > now() - make_interval(secs => $1::double precision) "
    "ORDER BY started_at, id"};

payments::Status Upsert(db::Connection& conn, const Instance& i) {
  auto r = conn.Run(
      kUpsert,
      db::Params().Add(i.id).Add(i.binary_version).Add(i.schema_version).Add(i.host).Add(i.pid));
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace

Instance DescribeThisInstance(int64_t schema_version) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const BuildInfo& b = GetBuildInfo();
  Instance i;
  i.id = NewId("inst");
  i.binary_version = fmt::format("{} ({})", b.version, b.commit);
  i.schema_version = schema_version;
  i.host = host;
  i.pid = getpid();
  return i;
}

payments::Status RegisterInstance(db::Connection& conn, const Instance& instance) {
  if (auto s = Upsert(conn, instance); !s) return s;
  const int64_t prune_s =
      std::chrono::duration_cast<std::chrono::seconds>(kInstancePruneAfter).count();
  if (auto r = conn.Run(kPrune, db::Params().Add(prune_s)); !r) return std::unexpected(r.error());
  return {};
}

payments::Status HeartbeatInstance(db::Connection& conn, const Instance& instance) {
  auto r = conn.Run(kHeartbeat, db::Params().Add(instance.id));
  if (!r) return std::unexpected(r.error());
  if (r->affected() == 0) return Upsert(conn, instance);
  return {};
}

payments::Status DeregisterInstance(db::Connection& conn, std::string_view id) {
  auto r = conn.Run(kDelete, db::Params().Add(id));
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Result<std::vector<Instance>> ListLiveInstances(db::Connection& conn,
                                                          std::chrono::seconds stale_after) {
  auto rows = conn.Run(kListLive, db::Params().Add(static_cast<int64_t>(stale_after.count())));
  if (!rows) return std::unexpected(rows.error());
  std::vector<Instance> out;
  for (int r = 0; r < rows->size(); ++r) {
    Instance i;
    i.id = rows->String(r, 0);
    i.binary_version = rows->String(r, 1);
    i.schema_version = rows->Int64(r, 2);
    i.host = rows->String(r, 3);
    i.pid = rows->Int64(r, 4);
    i.started_at = rows->String(r, 5);
    i.heartbeat_at = rows->String(r, 6);
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace payments::store
