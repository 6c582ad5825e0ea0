/*
 * A stand-in for Windows' bcryptprimitives.dll, exporting only ProcessPrng, for running our
 * .exe files under Wine older than 8.13.
 *
 * Why: Rust's standard library (1.78 and later) takes its random bytes from ProcessPrng in
 * bcryptprimitives.dll (rust-lang/rust#121337). Wine implemented that DLL only in 8.13;
 * Debian 12's Wine 8.0 has none, so every Rust .exe exits at once with status 53 (the loader
 * cannot resolve the import) and prints nothing. `.ci/wine` builds this file with mingw-w64
 * and copies it into the Wine prefix's system32. It is never shipped: real Windows (8.1 and
 * later) has the real DLL.
 *
 * ProcessPrng fills the buffer from the system generator and always succeeds (its documented
 * contract). This version asks advapi32's RtlGenRandom (exported as SystemFunction036,
 * which Wine has always had) in chunks that fit its ULONG length.
 *
 * Build: x86_64-w64-mingw32-gcc -O2 -shared -o bcryptprimitives.dll bcryptprimitives.c \
 *            bcryptprimitives.def -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            /* ProcessPrng cannot report failure; the caller would use unrandom bytes. */
            ExitProcess(0xC0000001);
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
