// droidgate's version: the one place it is written down.
//
// It lives in an ELF section of its own, 64 bytes, NUL-padded, so a build can be restamped
// without recompiling: packaging/stamp-version writes another version into the section of the
// built executables (`make deb VERSION=...`). Every program reads it through
// csys_droidgate_version() at run time (Droidgate.version), so what it reports is what is stamped.
// The Makefile reads the default version from the initialiser below (keep it on one line).
#include "CSystem.h"

__attribute__((used, section("droidgate_version")))
const char droidgate_version_data[64] = "0.1.0";

const char *csys_droidgate_version(void) {
    // Through a volatile pointer: the compiler must not fold the initialiser into callers,
    // or a restamped section would go unread.
    const char *volatile p = droidgate_version_data;
    return p;
}
