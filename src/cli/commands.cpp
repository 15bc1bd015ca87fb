#include "cli/commands.h"

namespace payments::cli {

int Main(int, char**) { return 0; }

}  // namespace payments::cli
