#include "cli/subcommands.h"

namespace payments::cli {
void AddMerchantsCommand(CLI::App&, int&) {}
}  // namespace payments::cli
