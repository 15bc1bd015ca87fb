#include "service/api_keys.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "core/duration.h"
#include "core/ids.h"
#include "core/redact.h"
#include "core/text.h"
#include "db/batch.h"
#include "db/transaction.h"
#include "store/merchant_store.h"

namespace payments::service {
namespace {

using std::chrono::milliseconds;

constexpr size_t kMaxCachedKeys = 10'000;

std::string KeyPrefixOf(KeyMode mode) { return fmt::format("sk_{}_", ModeName(mode)); }

payments::Status CheckId(const std::string& id, std::string_view prefix, std::string_view param) {
  if (IsWellFormedId(id, prefix)) return {};
  return std::unexpected(Error::InvalidRequest(
      fmt::format("invalid_{}_id", param),
      fmt::format("{} must be an id of the form {}_ followed by 26 characters", param, prefix),
      std::string(param)));
}

payments::Status CheckChange(const KeyChange& change) {
  if (auto problem = CheckText(change.actor, false)) {
    return std::unexpected(Error::InvalidRequest(
        "parameter_invalid_string", fmt::format("actor {}", Describe(*problem)), "actor"));
  }
  if (change.actor.empty() || Utf8Length(change.actor) > 200) {
    return std::unexpected(Error::InvalidRequest(
        "parameter_missing", "actor is required (1 to 200 characters): who makes the change",
        "actor"));
  }
  // The audit keeps it for ever: no card number, no key.
  if (HoldsCardNumber(change.actor)) {
    return std::unexpected(Error::InvalidRequest(
        "parameter_contains_card_number", "actor looks like it holds a card number", "actor"));
  }
  if (change.actor.find("sk_test_") != std::string::npos ||
      change.actor.find("sk_live_") != std::string::npos) {
    return std::unexpected(Error::InvalidRequest(
        "parameter_contains_secret_key", "actor looks like it holds a secret key", "actor"));
  }
  return {};
}

Error NoSuchKey(const std::string& key_id) {
  return Error::NotFound(fmt::format("No such API key: '{}'", key_id), "key");
}

// The key, locked until the transaction ends; NotFound when unknown, 409
// when revoked already.
payments::Result<store::ApiKeyRow> LockUnrevoked(db::Connection& conn, const std::string& key_id,
                                                 std::string_view then) {
  auto key = store::LockApiKey(conn, key_id);
  if (!key) return std::unexpected(key.error());
  if (!*key) return std::unexpected(NoSuchKey(key_id));
  if ((*key)->revoked_at) {
    return std::unexpected(Error::StateConflict(
        "api_key_revoked", fmt::format("API key '{}' is revoked{}", key_id, then)));
  }
  return std::move(**key);
}

payments::Status Audit(db::Connection& conn, std::string_view action, const store::ApiKeyRow& key,
                       const KeyChange& change, const nlohmann::ordered_json& detail) {
  return store::InsertApiKeyAudit(
      conn,
      {.actor = change.actor,
       .action = std::string(action),
       .key_id = key.id,
       .merchant_id = key.merchant_id,
       .key_prefix = key.key_prefix,
       .detail = detail.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)});
}

payments::Result<CreatedKey> InsertKey(db::Connection& conn, const std::string& merchant_id,
                                       KeyMode mode, const KeyChange& change,
                                       nlohmann::ordered_json detail) {
  CreatedKey created;
  created.secret = KeyPrefixOf(mode) + RandomBase62(32);
  auto row = store::InsertApiKey(conn, {.id = NewId("key"),
                                        .merchant_id = merchant_id,
                                        .key_hash = Sha256Hex(created.secret),
                                        .key_prefix = created.secret.substr(0, 12),
                                        .mode = std::string(ModeName(mode))});
  if (!row) return std::unexpected(row.error());
  created.key = std::move(*row);
  detail["mode"] = created.key.mode;
  if (auto a = Audit(conn, "create", created.key, change, detail); !a) {
    return std::unexpected(a.error());
  }
  return created;
}

payments::Status CheckMerchant(db::Connection& conn, const std::string& merchant_id) {
  auto exists = store::MerchantExists(conn, merchant_id);
  if (!exists) return std::unexpected(exists.error());
  if (!*exists) {
    return std::unexpected(
        Error::NotFound(fmt::format("No such merchant: '{}'", merchant_id), "merchant"));
  }
  return {};
}

}  // namespace

std::string_view ModeName(KeyMode mode) { return mode == KeyMode::kLive ? "live" : "test"; }

payments::Result<KeyMode> ParseKeyMode(std::string_view text, std::string_view param) {
  if (text == "test") return KeyMode::kTest;
  if (text == "live") return KeyMode::kLive;
  return std::unexpected(Error::InvalidRequest(
      "invalid_mode", fmt::format("{} must be test or live", param), std::string(param)));
}

payments::Status CheckGracePeriod(milliseconds grace, std::string_view param) {
  if (grace < milliseconds(0) || grace > kMaxGracePeriod) {
    return std::unexpected(Error::InvalidRequest(
        "invalid_grace_period",
        fmt::format("{} must be from 0 to {} days", param, kMaxGracePeriod.count() / 24),
        std::string(param)));
  }
  return {};
}

payments::Result<milliseconds> ParseGracePeriod(std::string_view text, std::string_view param) {
  auto grace = ParseDuration(text);
  if (!grace || (!DurationHasUnit(text) && *grace != milliseconds(0))) {
    return std::unexpected(Error::InvalidRequest(
        "invalid_grace_period",
        fmt::format("{} must be 0 or a count with a unit: 30s, 15m, 24h, 7d", param),
        std::string(param)));
  }
  if (auto s = CheckGracePeriod(*grace, param); !s) return std::unexpected(s.error());
  return *grace;
}

payments::Result<CreatedKey> CreateKeyIn(db::Connection& conn, const std::string& merchant_id,
                                         KeyMode mode, const KeyChange& change) {
  if (auto s = CheckId(merchant_id, "mer", "merchant"); !s) return std::unexpected(s.error());
  if (auto s = CheckChange(change); !s) return std::unexpected(s.error());
  if (auto s = CheckMerchant(conn, merchant_id); !s) return std::unexpected(s.error());
  return InsertKey(conn, merchant_id, mode, change, nlohmann::ordered_json::object());
}

payments::Result<CreatedKey> CreateKey(db::Pool& pool, const std::string& merchant_id, KeyMode mode,
                                       const KeyChange& change) {
  return db::InTransaction(
      pool, [&](db::Connection& conn) { return CreateKeyIn(conn, merchant_id, mode, change); });
}

payments::Result<std::vector<store::ApiKeyRow>> ListKeys(db::Pool& pool,
                                                         const std::string& merchant_id) {
  if (auto s = CheckId(merchant_id, "mer", "merchant"); !s) return std::unexpected(s.error());
  return db::Read(pool,
                  [&](db::Connection& conn) -> payments::Result<std::vector<store::ApiKeyRow>> {
                    if (auto s = CheckMerchant(conn, merchant_id); !s)
                      return std::unexpected(s.error());
                    return store::ListApiKeys(conn, merchant_id);
                  });
}

payments::Result<store::ApiKeyRow> RevokeKey(db::Pool& pool, const std::string& key_id,
                                             const KeyChange& change) {
  if (auto s = CheckId(key_id, "key", "key"); !s) return std::unexpected(s.error());
  if (auto s = CheckChange(change); !s) return std::unexpected(s.error());
  return db::InTransaction(pool, [&](db::Connection& conn) -> payments::Result<store::ApiKeyRow> {
    if (auto key = LockUnrevoked(conn, key_id, " already"); !key) {
      return std::unexpected(key.error());
    }
    auto row = store::RevokeApiKey(conn, key_id, change.actor);
    if (!row) return row;
    if (auto a = Audit(conn, "revoke", *row, change, nlohmann::ordered_json::object()); !a) {
      return std::unexpected(a.error());
    }
    return row;
  });
}

payments::Result<RolledKey> RollKey(db::Pool& pool, const std::string& key_id, milliseconds grace,
                                    const KeyChange& change) {
  if (auto s = CheckId(key_id, "key", "key"); !s) return std::unexpected(s.error());
  if (auto s = CheckGracePeriod(grace, "grace_period"); !s) return std::unexpected(s.error());
  if (auto s = CheckChange(change); !s) return std::unexpected(s.error());
  return db::InTransaction(pool, [&](db::Connection& conn) -> payments::Result<RolledKey> {
    auto key = LockUnrevoked(conn, key_id, "; create a new one");
    if (!key) return std::unexpected(key.error());
    if (key->expires_at) {
      return std::unexpected(Error::StateConflict(
          "api_key_rolled",
          fmt::format("API key '{}' was rolled already (it expires at {}); revoke it to stop it "
                      "sooner",
                      key_id, *key->expires_at)));
    }
    auto mode = ParseKeyMode(key->mode);
    if (!mode) return std::unexpected(Error::Internal("stored key of unknown mode", key_id));
    auto replacement = InsertKey(conn, key->merchant_id, *mode, change, {{"rolled_from", key_id}});
    if (!replacement) return std::unexpected(replacement.error());
    // A grace of 0 revokes as well: binaries older than the expiry (migration
    // 0005) then stop the key too.
    auto old = grace == milliseconds(0) ? store::RevokeApiKey(conn, key_id, change.actor)
                                        : store::ExpireApiKey(conn, key_id, grace.count());
    if (!old) return std::unexpected(old.error());
    nlohmann::ordered_json detail = {{"grace_period_ms", grace.count()},
                                     {"replacement_key_id", replacement->key.id},
                                     {"replacement_prefix", replacement->key.key_prefix}};
    if (old->expires_at) detail["expires_at"] = *old->expires_at;
    if (auto a = Audit(conn, "roll", *old, change, detail); !a) return std::unexpected(a.error());
    return RolledKey{.old_key = std::move(*old), .replacement = std::move(*replacement)};
  });
}

payments::Result<std::vector<store::ApiKeyAuditRecord>> KeyAudit(db::Pool& pool,
                                                                 const std::string& merchant_id,
                                                                 int limit) {
  if (!merchant_id.empty()) {
    if (auto s = CheckId(merchant_id, "mer", "merchant"); !s) return std::unexpected(s.error());
  }
  if (limit < 1 || limit > 1000) {
    return std::unexpected(Error::InvalidRequest("parameter_invalid_integer",
                                                 "limit must be from 1 to 1000", "limit"));
  }
  return db::Read(
      pool, [&](db::Connection& conn) { return store::ListApiKeyAudit(conn, merchant_id, limit); });
}

KeyAuthenticator::KeyAuthenticator(db::Pool& pool, KeyAuthOptions options)
    : pool_(pool), options_(options) {}

payments::Result<std::optional<std::string>> KeyAuthenticator::Admit(std::string merchant_id,
                                                                     KeyMode mode) const {
  if (mode != options_.accepts) {
    const std::string_view takes = ModeName(options_.accepts);
    return std::unexpected(
        Error::Of(ErrorKind::kAuthentication, "api_key_mode_mismatch",
                  fmt::format("This instance takes {} keys only (its processor is a {} processor); "
                              "use a key that starts with {}.",
                              takes, takes, KeyPrefixOf(options_.accepts))));
  }
  return std::optional<std::string>(std::move(merchant_id));
}

payments::Result<std::optional<std::string>> KeyAuthenticator::Authenticate(
    const std::string& secret_key) {
  // Nothing else was ever issued: no database read for what cannot be a key.
  if (!secret_key.starts_with("sk_test_") && !secret_key.starts_with("sk_live_")) {
    return std::optional<std::string>();
  }
  const std::string hash = Sha256Hex(secret_key);
  const auto now = Clock::now();
  uint64_t epoch = 0;
  {
    std::lock_guard lock(mu_);
    ++stats_.lookups;
    if (now - synced_ < options_.max_staleness) {
      if (auto it = cache_.find(hash); it != cache_.end() && it->second.until > now) {
        ++stats_.cache_hits;
        return Admit(it->second.merchant_id, it->second.mode);
      }
    }
    epoch = epoch_;
  }
  auto found =
      db::Read(pool_, [&](db::Connection& conn) { return store::FindActiveApiKey(conn, hash); });
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<std::string>();
  auto mode = ParseKeyMode((*found)->mode);
  if (!mode) return std::optional<std::string>();  // a mode this binary does not know
  auto until = now + options_.cache_ttl;
  if ((*found)->expires_in_ms)
    until = std::min(until, now + milliseconds(*(*found)->expires_in_ms));
  {
    std::lock_guard lock(mu_);
    // A drop since the read began may be the change that made this answer
    // stale: answer it, but do not keep it.
    if (epoch == epoch_) {
      if (cache_.size() >= kMaxCachedKeys) cache_.clear();
      cache_[hash] = Cached{(*found)->merchant_id, *mode, until};
    }
  }
  return Admit(std::move((*found)->merchant_id), *mode);
}

payments::Status KeyAuthenticator::Sync() {
  const auto began = Clock::now();
  auto generation =
      db::Read(pool_, [](db::Connection& conn) { return store::ApiKeyGeneration(conn); });
  if (!generation) return std::unexpected(generation.error());
  std::lock_guard lock(mu_);
  if (generation_ != *generation) {
    if (generation_) ++stats_.cache_drops;
    cache_.clear();
    ++epoch_;
    generation_ = *generation;
  }
  synced_ = began;
  return {};
}

KeyAuthenticator::Stats KeyAuthenticator::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace payments::service
