// API keys: the one home of their use cases — create, list, revoke, roll, the
// audit — called alike by the CLI (`payments merchants keys …`) and the admin
// API (/admin/merchants/{id}/keys, /admin/keys/{id}/…), and the
// authentication of the public API (KeyAuthenticator, below).
//
// A key is "sk_test_" or "sk_live_" + 32 base62 characters, shown once and
// stored as SHA-256. It authenticates while it is not revoked and not past
// its expiry (set on the old key when it is rolled: both keys work for the
// grace period). Every change writes its audit row (who, when, which key
// prefix; never the key) in the change's transaction; the change's statement
// moves api_key_generation, which KeyAuthenticator polls, so a revocation
// takes effect on every running instance within a second.
//
//   auto created = service::CreateKey(pool, "mer_…", KeyMode::kLive, {.actor = "alice"});
//   auto rolled = service::RollKey(pool, "key_…", std::chrono::hours(24), {.actor = "alice"});
//
// The functions are thread-safe as the Pool is; KeyAuthenticator is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "db/pool.h"
#include "store/api_key_store.h"

namespace payments::service {

// Test keys reach only a test (simulated) processor, live keys only a live one.
enum class KeyMode { kTest, kLive };

std::string_view ModeName(KeyMode mode);  // "test", "live"
// "test" or "live"; else 400 naming param.
payments::Result<KeyMode> ParseKeyMode(std::string_view text, std::string_view param = "mode");

// The longest grace period of a roll.
inline constexpr std::chrono::hours kMaxGracePeriod{24 * 7};

// A roll's grace period: "0" (the old key stops at once), or a count with a
// unit ("30s", "15m", "24h", "7d"; core/duration.h) up to kMaxGracePeriod. A
// bare number other than 0 is refused: the project's durations read it as
// milliseconds, an operator may mean seconds, and a guess on how long a
// leaked key keeps working is no guess to make. 400 naming param.
payments::Result<std::chrono::milliseconds> ParseGracePeriod(std::string_view text,
                                                             std::string_view param);
payments::Status CheckGracePeriod(std::chrono::milliseconds grace, std::string_view param);

// Who makes a change (kept in the audit and the log): 1–200 characters,
// no control character, no card number, no secret key.
struct KeyChange {
  std::string actor;
};

struct CreatedKey {
  store::ApiKeyRow key;
  std::string secret;  // shown once, never stored
};

struct RolledKey {
  store::ApiKeyRow old_key;  // with its expiry (and revocation, for a grace of 0)
  CreatedKey replacement;
};

// A new key for the merchant, audited. NotFound (param "merchant") for an
// unknown merchant, 400 for a malformed id.
payments::Result<CreatedKey> CreateKey(db::Pool& pool, const std::string& merchant_id, KeyMode mode,
                                       const KeyChange& change);
// The same inside the caller's transaction on conn (merchant onboarding).
payments::Result<CreatedKey> CreateKeyIn(db::Connection& conn, const std::string& merchant_id,
                                         KeyMode mode, const KeyChange& change);
// Every key of the merchant, oldest first; never a secret or a hash.
payments::Result<std::vector<store::ApiKeyRow>> ListKeys(db::Pool& pool,
                                                         const std::string& merchant_id);
// Stops the key at once. NotFound (param "key") for an unknown key; 409
// api_key_revoked when it is revoked already (nothing written).
payments::Result<store::ApiKeyRow> RevokeKey(db::Pool& pool, const std::string& key_id,
                                             const KeyChange& change);
// A new key of the same merchant and mode; the old one keeps working for
// `grace` (0: revoked at once). 409 when the old key is revoked, expired or
// rolled already (revoke it to stop it sooner).
payments::Result<RolledKey> RollKey(db::Pool& pool, const std::string& key_id,
                                    std::chrono::milliseconds grace, const KeyChange& change);
// The audit, newest first; every merchant's when merchant_id is empty. limit 1–1000.
payments::Result<std::vector<store::ApiKeyAuditRecord>> KeyAudit(db::Pool& pool,
                                                                 const std::string& merchant_id,
                                                                 int limit);

struct KeyAuthOptions {
  // The mode of the processor behind this instance: a key of the other mode
  // is refused (401 api_key_mode_mismatch).
  KeyMode accepts = KeyMode::kTest;
  // How long a positive answer may be reused; never past the key's expiry.
  std::chrono::milliseconds cache_ttl{10'000};
  // The cache is used only while Sync succeeded this recently: a watcher
  // that stalls or cannot reach the database makes every request read the
  // key again rather than trust what it cannot check.
  std::chrono::milliseconds max_staleness{1'000};
};

// Authenticates the public API's keys, with a cache of positive answers that
// Sync drops whenever api_key_generation moves. `serve` calls Sync every
// 250 ms (serve/background_workers.h). Thread-safe.
class KeyAuthenticator {
 public:
  KeyAuthenticator(db::Pool& pool, KeyAuthOptions options);
  KeyAuthenticator(const KeyAuthenticator&) = delete;
  KeyAuthenticator& operator=(const KeyAuthenticator&) = delete;

  // The merchant owning the valid key; nullopt when the key is unknown,
  // revoked or expired; 401 api_key_mode_mismatch for a valid key of the
  // other mode; 503 when the database cannot say. Writes nothing.
  payments::Result<std::optional<std::string>> Authenticate(const std::string& secret_key);

  // Reads the generation; drops the cache when it moved.
  payments::Status Sync();

  struct Stats {
    int64_t cache_hits = 0;
    int64_t lookups = 0;
    int64_t cache_drops = 0;
  };
  Stats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Cached {
    std::string merchant_id;
    KeyMode mode = KeyMode::kTest;
    Clock::time_point until;
  };
  payments::Result<std::optional<std::string>> Admit(std::string merchant_id, KeyMode mode) const;

  db::Pool& pool_;
  const KeyAuthOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Cached> cache_;  // by SHA-256 of the key
  std::optional<int64_t> generation_;
  uint64_t epoch_ = 0;        // moves whenever the cache is dropped
  Clock::time_point synced_;  // when the last successful Sync began
  Stats stats_;
};

}  // namespace payments::service
