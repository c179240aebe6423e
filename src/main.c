/* imgpool — batch image processing with a fork-based process pool.
 * main only dispatches to the subcommands; see cli.h. */
#include <string.h>

#include "cli.h"
#include "demo/demo.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "xkcd") == 0)
        return cli_xkcd_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "demo") == 0)
        return demo_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return cli_report_main(argc - 1, argv + 1);
    return cli_folder_main(argc, argv);
}
