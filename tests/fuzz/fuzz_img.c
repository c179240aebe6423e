/* fuzz_img.c — libFuzzer harness for everything a hostile file reaches:
 * sniffing, probing, the JPEG and PNG decoders (libjpeg-turbo, the libdeflate
 * PNG path, stb_image), WebP (libwebp), TIFF (libtiff), HEIC and AVIF
 * (libheif, libavif) with their metadata, metadata blocks of JPEG, PNG and
 * TIFF (the EXIF built from a TIFF's directories),
 * colour management (lcms2), EXIF rewriting, EXIF orientation, gray, the
 * resampler, the PNG encoder with metadata chunks and the TIFF encoder, which
 * copies an EXIF block's directories into its file. Built and run by `make fuzz` (clang,
 * ASan+UBSan). Seeds are real
 * images, so the whole input is the file; the last byte picks the options
 * (images ignore trailing bytes, so a seed still decodes). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "imgpool/img.h"
#include "imgpool/meta.h"
#include "imgpool/png.h"
#include "imgpool/tiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct img_codec *codec;
    static struct png_enc *enc;
    char err[256] = "";
    if ((!codec && img_codec_create(&codec, err, sizeof err) != 0) ||
        (!enc && png_enc_create(&enc, err, sizeof err) != 0))
        abort();
    if (size == 0)
        return 0;
    unsigned flags = data[size - 1];
    struct img_load_opts o = {
        .max_pixels = 1u << 22,   /* 4 MP: keeps an iteration fast */
        .autorotate = flags & 1,
        .gray = flags >> 1 & 1,
    };
    if (flags & 4)
        o.target_w = o.target_h = 1 + (flags >> 3) * 8;
    struct img_meta meta = {0};
    if (flags & 64) {
        o.meta = &meta;
        o.keep_profile = flags >> 7;
    }
    struct img im;
    struct img_info info;
    if (img_codec_decode(codec, data, size, &o, &im, &info, err, sizeof err) != 0) {
        img_meta_free(&meta);
        if (!err[0])
            abort();              /* every failure must say why */
        return 0;
    }
    unsigned char *exif = NULL;
    size_t exif_len = 0;
    if (meta.exif && meta_exif_for_output(meta.exif, meta.exif_len, flags & 1, im.w, im.h, &exif,
                                          &exif_len, err, sizeof err) == 0) {
        free(meta.exif);
        meta.exif = exif;
        meta.exif_len = exif_len;
    }
    if (im.w < 1 || im.h < 1 || im.ch < 1 || im.ch > 4)
        abort();
    if (flags & 8 && img_gray(&im, err, sizeof err) != 0)
        abort();
    unsigned w = flags & 16 ? im.w * 2 + 1 : 1 + im.w / 5, h = flags & 32 ? 1 : 1 + im.h / 3;
    if (img_resize(&im, w, h, err, sizeof err) != 0)
        abort();
    size_t len;
    if (!png_encode(enc, im.px, im.w, im.h, im.ch, 1 + (int)(flags % 12), &meta, &len, err,
                    sizeof err))
        abort();
    if (meta.exif) {    /* a hostile block may fail here, never crash */
        int fd = memfd_create("fuzz_img", 0);
        if (fd < 0)
            abort();
        tiff_encode(&im, &meta, fd, err, sizeof err);
        close(fd);
    }
    img_meta_free(&meta);
    img_free(&im);
    return 0;
}
