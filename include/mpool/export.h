/*
 * mpool/export.h - symbol visibility for the library's public functions.
 *
 * The library is built with hidden visibility; MPOOL_API marks what it
 * exports. A static build needs nothing; a shared build defines
 * MPOOL_SHARED for its users and MPOOL_BUILDING while it is compiled (the
 * CMake target does both).
 */
#ifndef MPOOL_EXPORT_H
#define MPOOL_EXPORT_H

#if defined(_WIN32) && defined(MPOOL_SHARED)
#ifdef MPOOL_BUILDING
#define MPOOL_API __declspec(dllexport)
#else
#define MPOOL_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define MPOOL_API __attribute__((visibility("default")))
#else
#define MPOOL_API
#endif

#endif /* MPOOL_EXPORT_H */
