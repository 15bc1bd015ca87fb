#include "support/kafka_mock.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

namespace payments::testing {
namespace {

std::string Header(rd_kafka_message_t* m, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return "";
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return "";
  }
  return std::string(static_cast<const char*>(value), size);
}

void Set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char err[256];
  if (rd_kafka_conf_set(conf, name, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    ADD_FAILURE() << name << ": " << err;
  }
}

void Quiet(const rd_kafka_t*, int, const char*, const char*) {}

}  // namespace

MockKafka::MockKafka(int brokers, const std::string& topic, int partitions) : brokers_(brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, Quiet);
  char err[256];
  host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (host_ == nullptr) {
    ADD_FAILURE() << "rd_kafka_new: " << err;
    return;
  }
  cluster_ = rd_kafka_mock_cluster_new(host_, brokers);
  if (cluster_ == nullptr) {
    ADD_FAILURE() << "rd_kafka_mock_cluster_new failed";
    return;
  }
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  const rd_kafka_resp_err_t e =
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, std::min(brokers, 3));
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) ADD_FAILURE() << "topic: " << rd_kafka_err2str(e);
}

MockKafka::~MockKafka() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (host_ != nullptr) rd_kafka_destroy(host_);
}

void MockKafka::SetAllBrokersDown() {
  for (int b = 1; b <= brokers_; ++b) rd_kafka_mock_broker_set_down(cluster_, b);
}

void MockKafka::SetAllBrokersUp() {
  for (int b = 1; b <= brokers_; ++b) rd_kafka_mock_broker_set_up(cluster_, b);
}

void MockKafka::DelayProduceResponses(int count, std::chrono::milliseconds delay) {
  for (int b = 1; b <= brokers_; ++b) {
    for (int i = 0; i < count; ++i) {
      rd_kafka_mock_broker_push_request_error_rtts(cluster_, b, kProduceApiKey, 1,
                                                   RD_KAFKA_RESP_ERR_NO_ERROR,
                                                   static_cast<int>(delay.count()));
    }
  }
}

TopicReader::TopicReader(const std::string& bootstraps, const std::string& topic, int partitions)
    : topic_(topic), partitions_(partitions), next_offset_(partitions, 0) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Set(conf, "bootstrap.servers", bootstraps);
  Set(conf, "group.id", "payments-test-reader");
  Set(conf, "enable.auto.commit", "false");
  Set(conf, "fetch.wait.max.ms", "10");
  Set(conf, "reconnect.backoff.max.ms", "200");
  rd_kafka_conf_set_log_cb(conf, Quiet);
  char err[256];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk_ == nullptr) {
    ADD_FAILURE() << "consumer: " << err;
    return;
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
}

TopicReader::~TopicReader() {
  if (rk_ != nullptr) {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }
}

void TopicReader::Poll(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  do {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 20);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ConsumedMessage c;
      c.key.assign(static_cast<const char*>(m->key), m->key_len);
      c.value.assign(static_cast<const char*>(m->payload), m->len);
      c.ce_id = Header(m, "ce_id");
      c.ce_type = Header(m, "ce_type");
      c.content_type = Header(m, "content-type");
      c.partition = m->partition;
      c.offset = m->offset;
      next_offset_[m->partition] = m->offset + 1;
      messages_.push_back(std::move(c));
    }
    rd_kafka_message_destroy(m);
  } while (std::chrono::steady_clock::now() < deadline);
}

bool TopicReader::ReadToEnd(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<int64_t> high(partitions_, 0);
  for (int p = 0; p < partitions_; ++p) {
    int64_t low = 0;
    const rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(rk_, topic_.c_str(), p, &low, &high[p], 10000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ADD_FAILURE() << "watermarks of partition " << p << ": " << rd_kafka_err2str(e);
      return false;
    }
  }
  auto done = [&] {
    for (int p = 0; p < partitions_; ++p) {
      if (next_offset_[p] < high[p]) return false;
    }
    return true;
  };
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    Poll(std::chrono::milliseconds(50));
  }
  return true;
}

DeliveryCheck CheckDelivery(const std::vector<ConsumedMessage>& messages,
                            const std::map<std::string, std::vector<std::string>>& expected) {
  DeliveryCheck check;
  std::map<std::string, std::string> subject_of;
  for (const auto& [subject, ids] : expected) {
    for (const std::string& id : ids) subject_of[id] = subject;
  }
  std::set<std::string> seen;
  std::map<std::string, std::vector<std::string>> arrived;  // first arrivals per subject
  for (const ConsumedMessage& m : messages) {
    const nlohmann::json event = nlohmann::json::parse(m.value, nullptr, false);
    const std::string id = event.is_object() ? event.value("id", "") : "";
    if (id.empty() || id != m.ce_id || event.value("type", "") != m.ce_type ||
        event.value("subject", "") != m.key ||
        m.content_type != "application/cloudevents+json; charset=UTF-8") {
      check.problems.push_back("message at partition " + std::to_string(m.partition) + " offset " +
                               std::to_string(m.offset) + " has headers or key unlike its event");
      continue;
    }
    if (!seen.insert(id).second) {
      ++check.duplicates;
      continue;
    }
    auto it = subject_of.find(id);
    if (it == subject_of.end()) {
      check.problems.push_back("unexpected event " + id);
      continue;
    }
    arrived[it->second].push_back(id);
  }
  for (const auto& [subject, ids] : expected) {
    const std::vector<std::string>& got = arrived[subject];
    if (got == ids) continue;
    if (got.size() != ids.size()) {
      check.problems.push_back(subject + ": " + std::to_string(ids.size()) + " events expected, " +
                               std::to_string(got.size()) + " arrived");
    } else {
      check.problems.push_back(subject + ": events arrived out of order");
    }
  }
  return check;
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace payments::testing
