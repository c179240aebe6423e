/* imgpool — batch image processing with a fork-based process pool.
 * main only dispatches to the subcommands; see cli.h. */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_folder_main(argc, argv);
}
