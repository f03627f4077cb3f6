/*
 * bcryptprimitives.dll for wine 8 (Debian 12), which lacks it: Rust's
 * standard library for Windows (since 1.78) takes its random bytes from
 * ProcessPrng there, which every Windows 10 and later has. This stand-in
 * answers from RtlGenRandom (advapi32's SystemFunction036). Only for
 * running warden.exe under wine in scripts/cross; never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
