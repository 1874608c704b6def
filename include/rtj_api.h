/* RTJ_API marks the library's public calls (rtj.h, rtj_tokenizer.h): librtj.so is built with
 * -fvisibility=hidden, so these and nothing else are exported. */
#ifndef RTJ_API_H
#define RTJ_API_H

#ifndef RTJ_API
#if defined(__GNUC__) || defined(__clang__)
#define RTJ_API __attribute__((visibility("default")))
#else
#define RTJ_API
#endif
#endif

#endif
