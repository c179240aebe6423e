/* fuzz_xkcd.c — libFuzzer harness for what an xkcd server (or anything
 * pretending to be one) sends: the JSON record, the names made from its
 * title, the img URL check and the downloaded image's format check. The
 * first byte picks the target, the rest is its input. Built and run by
 * `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imgpool/xkcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A file name made from a title must stay one harmless path component. */
static void check_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= XKCD_NAME_MAX || name[0] == '.' || strchr(name, '/'))
        abort();
    for (size_t i = 0; i < n; i++)
        if (!(name[i] == '-' || name[i] == '_' || name[i] == '.' ||
              (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "", name[XKCD_NAME_MAX];
    if (size == 0)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] % 2 == 0) {
        struct xkcd_record r;
        if (xkcd_record_parse(text, len, &r, err, sizeof err) != 0) {
            if (!err[0])
                abort();
            return 0;
        }
        check_name(xkcd_file_name(r.num < 0 ? 0 : r.num % 100000, r.title, "png", name));
        xkcd_img_check(r.img, err, sizeof err);
        xkcd_record_clear(&r);
    } else {
        const char *fmt = xkcd_image_format(data + 1, len, err, sizeof err);
        if (!fmt && !err[0])
            abort();
        char *title = malloc(len + 1);
        if (!title)
            return 0;
        memcpy(title, text, len);
        title[len] = '\0';
        check_name(xkcd_file_name(1, title, fmt ? fmt : "png", name));
        free(title);
    }
    return 0;
}
