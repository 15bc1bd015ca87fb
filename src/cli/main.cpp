// The `payments` binary: parses the command line and hands over to the
// subcommand. Assembly only; the work is in the library.
#include "cli/commands.h"

int main(int argc, char** argv) { return payments::cli::Main(argc, argv); }
