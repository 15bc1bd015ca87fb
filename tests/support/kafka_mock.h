// A Kafka protocol peer for tests: librdkafka's mock cluster (rdkafka_mock.h),
// brokers listening on 127.0.0.1 ports that any process can reach, with fault
// injection; and a real consumer that reads a topic from the beginning.
//
//   MockKafka kafka(3, "payments.events", 4);
//   relay_options.brokers = kafka.bootstraps();
//   ...
//   TopicReader reader(kafka.bootstraps(), "payments.events", 4);
//   reader.ReadToEnd();
//   DeliveryCheck c = CheckDelivery(reader.messages(), expected);
//
// Not thread-safe; one test drives each.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace payments::testing {

// The Kafka protocol's ApiKey of ProduceRequest (librdkafka's RD_KAFKAP_Produce
// lives in a header it does not install).
inline constexpr int16_t kProduceApiKey = 0;

class MockKafka {
 public:
  MockKafka(int brokers, const std::string& topic, int partitions);
  MockKafka(const MockKafka&) = delete;
  MockKafka& operator=(const MockKafka&) = delete;
  ~MockKafka();

  const std::string& bootstraps() const { return bootstraps_; }
  rd_kafka_mock_cluster_t* cluster() const { return cluster_; }

  void SetAllBrokersDown();
  void SetAllBrokersUp();
  // The next `count` Produce responses of each broker come `delay` late (the
  // records are appended at once; only the acknowledgement waits).
  void DelayProduceResponses(int count, std::chrono::milliseconds delay);

 private:
  int brokers_;
  rd_kafka_t* host_ = nullptr;  // the handle the cluster lives in
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstraps_;
};

struct ConsumedMessage {
  std::string key;
  std::string value;
  std::string ce_id;         // header
  std::string ce_type;       // header
  std::string content_type;  // header
  int32_t partition = 0;
  int64_t offset = 0;
};

class TopicReader {
 public:
  TopicReader(const std::string& bootstraps, const std::string& topic, int partitions);
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;
  ~TopicReader();

  // Reads what arrives within `wait`.
  void Poll(std::chrono::milliseconds wait);
  // Reads until every partition is read up to its high watermark as of the
  // call: everything Kafka acknowledged before. False on timeout.
  bool ReadToEnd(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  const std::vector<ConsumedMessage>& messages() const { return messages_; }

 private:
  std::string topic_;
  int partitions_;
  rd_kafka_t* rk_ = nullptr;
  std::vector<ConsumedMessage> messages_;
  std::vector<int64_t> next_offset_;  // per partition
};

struct DeliveryCheck {
  std::vector<std::string> problems;  // missing, unexpected or out-of-order events
  int duplicates = 0;                 // messages whose event id came before
};

// Checks consumed messages against the events expected per subject, each
// subject's list in commit order: after de-duplication by event id every
// event arrived exactly once, nothing else arrived, the first arrivals of
// each subject's events are in order, and headers and key match the payload.
DeliveryCheck CheckDelivery(const std::vector<ConsumedMessage>& messages,
                            const std::map<std::string, std::vector<std::string>>& expected);

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace payments::testing
