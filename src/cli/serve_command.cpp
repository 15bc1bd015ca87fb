#include "cli/subcommands.h"

namespace payments::cli {
void AddServeCommand(CLI::App&, int&) {}
}  // namespace payments::cli
