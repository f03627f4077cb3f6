/*
 * A C guest where wasi-libc's behaviour on top of the runtime matters.
 *
 * Built at test time with
 *     python3 -m ziglang cc --target=wasm32-wasi -O2 libc_fs.c -o libc_fs.wasm
 *
 * Usage: libc_fs.wasm WORK RO "arg with spaces"
 *   WORK  a writable preopen (e.g. /work), empty at start
 *   RO    a read-only preopen holding file.txt = "hello", or "-" to skip
 * Environment: WARDEN_TEST=libc-value must be set, WARDEN_UNSET must not be.
 *
 * Prints "FAIL <what>: ..." per failed check on stderr, "ok N checks" on
 * stdout, exits 1 if anything failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int checks, failures;

static void fail(const char *what, const char *fmt, long a, long b) {
    failures++;
    fprintf(stderr, "FAIL %s: ", what);
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
}

/* expect a call to succeed (return value >= 0 / non-NULL handled by caller) */
#define CHECK(what, cond)                                                      \
    do {                                                                       \
        checks++;                                                              \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            fprintf(stderr, "FAIL %s: condition `%s` false (errno %d)\n",     \
                    what, #cond, errno);                                       \
        }                                                                      \
    } while (0)

/* expect rc == -1 and errno == want */
static void expect_errno(const char *what, int rc, int want) {
    int e = errno;
    checks++;
    if (rc != -1) {
        fail(what, "expected errno %ld got success (rc %ld)", want, rc);
    } else if (e != want) {
        fail(what, "expected errno %ld got %ld", want, e);
    }
}

static void expect_ok(const char *what, int rc) {
    int e = errno;
    checks++;
    if (rc != 0) fail(what, "expected success got rc %ld errno %ld", rc, e);
}

static char *join(const char *dir, const char *name) {
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

static long long ns(const struct timespec *t) {
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(int argc, char **argv) {
    /* ---- argv / environment ---- */
    CHECK("argc", argc == 4);
    if (argc != 4) {
        fprintf(stderr, "usage: libc_fs WORK RO ARG\n");
        return 2;
    }
    const char *work = argv[1];
    const char *ro = argv[2];
    CHECK("argv[3] keeps its spaces", strcmp(argv[3], "arg with spaces") == 0);
    const char *env = getenv("WARDEN_TEST");
    CHECK("getenv WARDEN_TEST", env && strcmp(env, "libc-value") == 0);
    CHECK("getenv of an unset name is NULL", getenv("WARDEN_UNSET") == NULL);

    /* ---- stdio ---- */
    const char *f = join(work, "f.txt");
    FILE *fp = fopen(f, "w");
    CHECK("fopen w", fp != NULL);
    if (fp) {
        CHECK("fprintf", fprintf(fp, "line %d\nsecond %s\n", 1, "line") == 19);
        CHECK("fclose w", fclose(fp) == 0);
    }
    fp = fopen(f, "r");
    CHECK("fopen r", fp != NULL);
    if (fp) {
        char buf[64] = {0};
        size_t n = fread(buf, 1, sizeof buf, fp);
        CHECK("fread size", n == 19);
        CHECK("fread content", memcmp(buf, "line 1\nsecond line\n", 19) == 0);
        CHECK("feof after short fread", feof(fp));
        CHECK("fseek SEEK_END", fseek(fp, 0, SEEK_END) == 0);
        CHECK("ftell at end", ftell(fp) == 19);
        CHECK("fseek SEEK_SET", fseek(fp, 7, SEEK_SET) == 0);
        CHECK("ftell after SEEK_SET", ftell(fp) == 7);
        char line[32];
        CHECK("fgets", fgets(line, sizeof line, fp) != NULL && strcmp(line, "second line\n") == 0);
        CHECK("fseek SEEK_CUR", fseek(fp, -5, SEEK_CUR) == 0);
        CHECK("ftell after SEEK_CUR", ftell(fp) == 14);
        CHECK("fclose r", fclose(fp) == 0);
    }
    fp = fopen(f, "a");
    CHECK("fopen a", fp != NULL);
    if (fp) {
        fputs("appended\n", fp);
        CHECK("ftell in append mode", ftell(fp) == 28);
        fclose(fp);
    }
    struct stat st;
    expect_ok("stat f.txt", stat(f, &st));
    CHECK("stat f.txt is regular", S_ISREG(st.st_mode));
    CHECK("stat f.txt size 28", st.st_size == 28);
    CHECK("stat f.txt nlink 1", st.st_nlink == 1);

    /* ---- low-level fd calls ---- */
    int fd = open(f, O_RDWR);
    CHECK("open O_RDWR", fd >= 0);
    if (fd >= 0) {
        CHECK("lseek SEEK_END", lseek(fd, 0, SEEK_END) == 28);
        CHECK("ftruncate", ftruncate(fd, 6) == 0);
        struct stat fst;
        CHECK("fstat", fstat(fd, &fst) == 0 && fst.st_size == 6);
        char b[8] = {0};
        CHECK("pread", pread(fd, b, 8, 0) == 6 && memcmp(b, "line 1", 6) == 0);
        CHECK("close", close(fd) == 0);
    }
    expect_errno("close of a closed fd", close(fd), EBADF);
    expect_errno("open O_CREAT|O_EXCL existing", open(f, O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
    expect_errno("open missing", open(join(work, "missing"), O_RDONLY), ENOENT);
    expect_errno("open missing/x", open(join(work, "missing/x"), O_RDONLY), ENOENT);
    expect_errno("open f.txt/x (file as dir)", open(join(work, "f.txt/x"), O_RDONLY), ENOTDIR);
    expect_ok("access F_OK", access(f, F_OK));
    expect_errno("access missing", access(join(work, "missing"), F_OK), ENOENT);

    /* ---- directories ---- */
    const char *d = join(work, "d");
    expect_ok("mkdir d", mkdir(d, 0755));
    expect_errno("mkdir d again", mkdir(d, 0755), EEXIST);
    expect_errno("mkdir f.txt (a file)", mkdir(f, 0755), EEXIST);
    expect_ok("stat d", stat(d, &st));
    CHECK("stat d is a directory", S_ISDIR(st.st_mode));
    char da[512], db[512], dc[512], ln[512];
    snprintf(da, sizeof da, "%s/a.txt", d);
    snprintf(db, sizeof db, "%s/b.txt", d);
    snprintf(dc, sizeof dc, "%s/c.txt", d);
    snprintf(ln, sizeof ln, "%s/ln", d);
    fp = fopen(da, "w");
    if (fp) { fputs("AAAA", fp); fclose(fp); }
    fp = fopen(db, "w");
    if (fp) { fputs("B", fp); fclose(fp); }

    DIR *dir = opendir(d);
    CHECK("opendir", dir != NULL);
    if (dir) {
        int dot = 0, dotdot = 0, a = 0, b = 0, other = 0;
        struct dirent *ent;
        errno = 0;
        while ((ent = readdir(dir)) != NULL) {
            if (strcmp(ent->d_name, ".") == 0) dot++;
            else if (strcmp(ent->d_name, "..") == 0) dotdot++;
            else if (strcmp(ent->d_name, "a.txt") == 0) { a++; CHECK("d_type of a.txt", ent->d_type == DT_REG); }
            else if (strcmp(ent->d_name, "b.txt") == 0) b++;
            else other++;
        }
        CHECK("readdir ends without error", errno == 0);
        CHECK("readdir sees . once", dot == 1);
        CHECK("readdir sees .. once", dotdot == 1);
        CHECK("readdir sees a.txt and b.txt", a == 1 && b == 1);
        CHECK("readdir sees nothing else", other == 0);
        rewinddir(dir);
        int again = 0;
        while (readdir(dir) != NULL) again++;
        CHECK("rewinddir lists the 4 entries again", again == 4);
        CHECK("closedir", closedir(dir) == 0);
    }
    errno = 0;
    CHECK("opendir missing", opendir(join(work, "missing")) == NULL && errno == ENOENT);
    errno = 0;
    CHECK("opendir a file", opendir(f) == NULL && errno == ENOTDIR);

    /* ---- symlinks ---- */
    expect_ok("symlink", symlink("a.txt", ln));
    expect_errno("symlink over existing", symlink("b.txt", ln), EEXIST);
    expect_ok("lstat ln", lstat(ln, &st));
    CHECK("lstat ln is a link", S_ISLNK(st.st_mode));
    CHECK("lstat ln size is the target length", st.st_size == 5);
    expect_ok("stat ln", stat(ln, &st));
    CHECK("stat ln follows to a 4-byte file", S_ISREG(st.st_mode) && st.st_size == 4);
    char target[64] = {0};
    ssize_t tn = readlink(ln, target, sizeof target);
    CHECK("readlink", tn == 5 && memcmp(target, "a.txt", 5) == 0);
    expect_errno("readlink of a regular file", readlink(da, target, sizeof target), EINVAL);
    fp = fopen(ln, "r");
    CHECK("fopen through the symlink", fp != NULL);
    if (fp) {
        char b4[8] = {0};
        CHECK("read through the symlink", fread(b4, 1, 8, fp) == 4 && memcmp(b4, "AAAA", 4) == 0);
        fclose(fp);
    }

    /* ---- rename / unlink / rmdir ---- */
    expect_ok("rename a.txt -> c.txt", rename(da, dc));
    expect_errno("stat renamed-away name", stat(da, &st), ENOENT);
    expect_ok("stat new name", stat(dc, &st));
    expect_errno("stat dangling link now", stat(ln, &st), ENOENT);
    expect_ok("lstat dangling link", lstat(ln, &st));
    expect_ok("rename over existing file", rename(db, dc));
    CHECK("rename replaced the target", stat(dc, &st) == 0 && st.st_size == 1);
    expect_errno("rmdir non-empty", rmdir(d), ENOTEMPTY);
    expect_errno("unlink a directory", unlink(d), EISDIR);
    expect_errno("rmdir a file", rmdir(dc), ENOTDIR);
    expect_ok("unlink c.txt", unlink(dc));
    expect_errno("unlink c.txt again", unlink(dc), ENOENT);
    expect_ok("unlink ln", unlink(ln));
    expect_ok("rmdir d", rmdir(d));
    expect_errno("rmdir d again", rmdir(d), ENOENT);
    expect_ok("remove f.txt", remove(f));

    /* ---- chdir + relative paths (wasi-libc resolves them against cwd) ---- */
    expect_ok("chdir work", chdir(work));
    fp = fopen("rel.txt", "w");
    CHECK("fopen relative", fp != NULL);
    if (fp) { fputs("rel", fp); fclose(fp); }
    expect_ok("stat absolute path of the relative file", stat(join(work, "rel.txt"), &st));
    char cwd[256];
    CHECK("getcwd", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, work) == 0);
    expect_ok("unlink relative", unlink("rel.txt"));

    /* ---- confinement as libc sees it ---- */
    errno = 0;
    fp = fopen(join(work, "../outside.txt"), "r");
    checks++;
    if (fp != NULL) { failures++; fprintf(stderr, "FAIL fopen WORK/../outside.txt: opened\n"); fclose(fp); }
    else if (errno != EPERM) fail("fopen WORK/../outside.txt", "expected errno %ld got %ld", EPERM, errno);

    /* ---- read-only mount ---- */
    if (strcmp(ro, "-") != 0) {
        const char *rf = join(ro, "file.txt");
        fp = fopen(rf, "r");
        CHECK("fopen ro file for reading", fp != NULL);
        if (fp) {
            char b5[16] = {0};
            CHECK("read ro file", fread(b5, 1, 16, fp) == 5 && memcmp(b5, "hello", 5) == 0);
            fclose(fp);
        }
        errno = 0;
        fp = fopen(rf, "w");
        checks++;
        if (fp) { failures++; fprintf(stderr, "FAIL fopen ro file w: opened\n"); fclose(fp); }
        else if (errno != EROFS) fail("fopen ro file w", "expected errno %ld got %ld", EROFS, errno);
        expect_errno("open ro file O_WRONLY", open(rf, O_WRONLY), EROFS);
        expect_errno("creat in ro", open(join(ro, "new.txt"), O_CREAT | O_WRONLY, 0644), EROFS);
        expect_errno("mkdir in ro", mkdir(join(ro, "newdir"), 0755), EROFS);
        expect_errno("unlink in ro", unlink(rf), EROFS);
        expect_errno("rename in ro", rename(rf, join(ro, "moved.txt")), EROFS);
        expect_errno("symlink in ro", symlink("file.txt", join(ro, "ln")), EROFS);
        expect_ok("stat ro file", stat(rf, &st));
        CHECK("ro file is 5 bytes", st.st_size == 5);
    }

    /* ---- clocks ---- */
    struct timespec rt, m0, m1, res;
    expect_ok("clock_gettime REALTIME", clock_gettime(CLOCK_REALTIME, &rt));
    CHECK("realtime is after 2020", rt.tv_sec > 1577836800);
    CHECK("time() agrees with CLOCK_REALTIME", labs((long)(time(NULL) - rt.tv_sec)) <= 2);
    expect_ok("clock_getres MONOTONIC", clock_getres(CLOCK_MONOTONIC, &res));
    CHECK("monotonic resolution is 1ns", res.tv_sec == 0 && res.tv_nsec == 1);
    expect_ok("clock_gettime MONOTONIC", clock_gettime(CLOCK_MONOTONIC, &m0));
    struct timespec req = {0, 20 * 1000 * 1000};
    expect_ok("nanosleep 20ms", nanosleep(&req, NULL));
    expect_ok("clock_gettime MONOTONIC again", clock_gettime(CLOCK_MONOTONIC, &m1));
    CHECK("nanosleep slept at least 20ms", ns(&m1) - ns(&m0) >= 20 * 1000 * 1000);
    CHECK("nanosleep slept less than 2s", ns(&m1) - ns(&m0) < 2000LL * 1000 * 1000);

    printf("ok %d checks\n", checks - failures);
    if (failures) {
        fprintf(stderr, "%d of %d checks failed\n", failures, checks);
        return 1;
    }
    return 0;
}
