// Version and provenance of this binary: the semantic version from the CMake
// project, the git commit and when the build recorded it. Immutable; safe to
// read from any thread.
#pragma once

#include <string_view>

namespace payments {

struct BuildInfo {
  std::string_view version;     // "0.1.0"
  std::string_view commit;      // short hash, "-dirty" when built from a modified tree
  std::string_view build_time;  // ISO 8601 UTC
};

// Defined in the generated build_info.cpp (cmake/BuildInfo.cmake).
const BuildInfo& GetBuildInfo();

}  // namespace payments
