// The command line of the `payments` binary: one CLI11 app with a subcommand
// per file in cli/. Every option also reads a PAYMENTS_* environment variable.
// Exit codes: 0 success, 1 failure at run time, 2 bad usage or configuration.
#pragma once

namespace payments::cli {

int Main(int argc, char** argv);

}  // namespace payments::cli
