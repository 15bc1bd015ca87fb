// Slots for host-name lookups that outlive their callers (getaddrinfo runs on
// a thread of its own and cannot be cancelled): a cap in all, so a flood of
// requests cannot make a thread each, and a smaller cap per key (a merchant),
// so one merchant whose URLs resolve slowly, on purpose or not, cannot take
// every slot and make other merchants' endpoint changes fail. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace payments::service {

class ResolutionSlots {
 public:
  ResolutionSlots(int total, int per_key) : total_(total), per_key_(per_key) {}
  ResolutionSlots(const ResolutionSlots&) = delete;
  ResolutionSlots& operator=(const ResolutionSlots&) = delete;

  // False when all slots, or all of the key's, are taken.
  bool TryTake(const std::string& key) {
    std::lock_guard lock(mu_);
    int& mine = by_key_[key];
    if (used_ >= total_ || mine >= per_key_) {
      if (mine == 0) by_key_.erase(key);
      return false;
    }
    ++used_;
    ++mine;
    return true;
  }

  // Gives back a slot TryTake gave for the key.
  void Give(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return;
    --used_;
    if (--it->second == 0) by_key_.erase(it);
  }

  int used() const {
    std::lock_guard lock(mu_);
    return used_;
  }

 private:
  const int total_;
  const int per_key_;
  mutable std::mutex mu_;
  int used_ = 0;
  std::map<std::string, int> by_key_;  // keys with a slot taken
};

}  // namespace payments::service
