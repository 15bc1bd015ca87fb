#include "processors/processor.h"

namespace payments::processors {

std::string_view ToString(ProcessorResult::Outcome outcome) {
  switch (outcome) {
    case ProcessorResult::Outcome::kApproved:
      return "approved";
    case ProcessorResult::Outcome::kDeclined:
      return "declined";
    case ProcessorResult::Outcome::kFailed:
      return "failed";
    case ProcessorResult::Outcome::kUnknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace payments::processors
