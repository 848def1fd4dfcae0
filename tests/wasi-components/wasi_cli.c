// A WASI command exercising what the preview1 adapter maps onto WASI 0.2: one subcommand per
// area, each printing only what is the same on every correct host (no times, no random
// values), so that runs on our engine and on jco/Node can be compared byte for byte.
//
//   wasi_cli args A B          wasi_cli env NAME...      wasi_cli stdio
//   wasi_cli files DIR         wasi_cli list DIR         wasi_cli exit N
//   wasi_cli clocks            wasi_cli random           wasi_cli cat      (stdin to stdout)
//   wasi_cli escape DIR        (each way out of DIR must fail)
//   wasi_cli errors DIR        (the errno of each failing call: error-code mapping)
//   wasi_cli big DIR           (a 3 MiB file written and read back in chunks)
//   wasi_cli sleep MS          wasi_cli spin             (for time and fuel budgets)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fail(const char* what) {
  printf("FAIL %s: %s\n", what, strerror(errno));
  return 1;
}

static int write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  if (!f) return fail(path);
  fputs(text, f);
  return fclose(f) == 0 ? 0 : fail(path);
}

static int print_file(const char* path) {
  FILE* f = fopen(path, "r");
  if (!f) return fail(path);
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  printf("%s: %zu bytes: %s\n", path, n, buf);
  return 0;
}

static int cmp_str(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

// Entries of `dir`, sorted (hosts list in different orders), with a type mark.
static int list(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) return fail(dir);
  char* names[256];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL && n < 256) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char line[512];
    snprintf(line, sizeof line, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
    names[n++] = strdup(line);
  }
  closedir(d);
  qsort(names, n, sizeof names[0], cmp_str);
  printf("%s:", dir);
  for (int i = 0; i < n; ++i) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
  return 0;
}

static int files(const char* dir) {
  char a[512], b[512], sub[512], c[512];
  snprintf(a, sizeof a, "%s/a.txt", dir);
  snprintf(b, sizeof b, "%s/b.txt", dir);
  snprintf(sub, sizeof sub, "%s/sub", dir);
  snprintf(c, sizeof c, "%s/sub/c.txt", dir);
  if (write_file(a, "alpha\n")) return 1;
  FILE* f = fopen(a, "a");
  if (!f) return fail("append");
  fputs("beta\n", f);
  fclose(f);
  if (print_file(a)) return 1;
  struct stat st;
  if (stat(a, &st) != 0) return fail("stat");
  printf("size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  if (mkdir(sub, 0755) != 0) return fail("mkdir");
  if (rename(a, b) != 0) return fail("rename");
  if (access(a, F_OK) == 0) printf("FAIL %s still exists\n", a);
  if (write_file(c, "gamma\n")) return 1;
  // Seek and overwrite in place.
  int fd = open(c, O_RDWR);
  if (fd < 0) return fail("open rdwr");
  if (lseek(fd, 1, SEEK_SET) != 1) return fail("lseek");
  if (write(fd, "AMM", 3) != 3) return fail("write");
  close(fd);
  if (print_file(c)) return 1;
  if (list(dir) || list(sub)) return 1;
  if (rmdir(sub) == 0)
    printf("FAIL rmdir of a non-empty directory\n");
  else
    printf("rmdir non-empty: %s\n", errno == ENOTEMPTY ? "ENOTEMPTY" : strerror(errno));
  if (unlink(c) != 0) return fail("unlink");
  if (rmdir(sub) != 0) return fail("rmdir");
  if (open(c, O_RDONLY) >= 0 || errno != ENOENT) printf("FAIL %s not deleted\n", c);
  if (list(dir)) return 1;
  return 0;
}

static int escape(const char* dir) {
  char p[512];
  const char* tries[] = {"../outside.txt", "sub/../../outside.txt", "/etc/passwd"};
  for (size_t i = 0; i < sizeof tries / sizeof *tries; ++i) {
    if (tries[i][0] == '/')
      snprintf(p, sizeof p, "%s", tries[i]);
    else
      snprintf(p, sizeof p, "%s/%s", dir, tries[i]);
    int fd = open(p, O_RDONLY);
    printf("open %s: %s\n", tries[i], fd >= 0 ? "OPENED" : "refused");
  }
  snprintf(p, sizeof p, "%s/out-link", dir);
  if (symlink("../", p) != 0) printf("symlink: %s\n", strerror(errno));
  snprintf(p, sizeof p, "%s/out-link/outside.txt", dir);
  printf("open through a guest symlink: %s\n", open(p, O_RDONLY) >= 0 ? "OPENED" : "refused");
  return 0;
}

static void report(const char* what, int rc) {
  printf("%s: %s\n", what, rc < 0 ? strerror(errno) : "ok");
}

static int errors(const char* dir) {
  char p[512], q[512];
#define PATH(buf, rel) snprintf(buf, sizeof buf, "%s/%s", dir, rel)
  PATH(p, "missing.txt");
  report("open missing", open(p, O_RDONLY));
  PATH(p, "d");
  report("mkdir", mkdir(p, 0755));
  report("mkdir again", mkdir(p, 0755));
  report("open dir for writing", open(p, O_WRONLY));
  PATH(p, "f.txt");
  if (write_file(p, "f")) return 1;
  report("create exclusive existing", open(p, O_CREAT | O_EXCL | O_WRONLY, 0644));
  PATH(p, "f.txt/x");
  report("open under a file", open(p, O_RDONLY));
  PATH(p, "f.txt");
  report("rmdir a file", rmdir(p));
  report("opendir a file", opendir(p) ? 0 : -1);
  char buf[64];
  report("readlink a file", (int)readlink(p, buf, sizeof buf));
  PATH(p, "d");
  report("unlink a directory", unlink(p));
  PATH(q, "d/inside");
  report("rename a directory into itself", rename(p, q));
  PATH(p, "missing");
  report("rmdir missing", rmdir(p));
  report("stat missing", stat(p, &(struct stat){0}));
  PATH(p, "d/f2.txt");
  if (write_file(p, "2")) return 1;
  PATH(p, "d");
  report("rmdir non-empty", rmdir(p));
  PATH(p, "link");
  report("symlink", symlink("f.txt", p));
  ssize_t n = readlink(p, buf, sizeof buf - 1);
  if (n >= 0) {
    buf[n] = 0;
    printf("readlink: %s\n", buf);
  }
  report("symlink over an existing name", symlink("f.txt", p));
  PATH(q, "hard");
  PATH(p, "f.txt");
  report("hard link", link(p, q));
  struct stat st;
  if (stat(q, &st) == 0) printf("hard link count: %d\n", (int)st.st_nlink);
#undef PATH
  return 0;
}

static int big(const char* dir) {
  char p[512];
  snprintf(p, sizeof p, "%s/big.bin", dir);
  FILE* f = fopen(p, "wb");
  if (!f) return fail("fopen big");
  static unsigned char chunk[65536];
  const size_t total = 3 * 1024 * 1024;
  for (size_t off = 0; off < total; off += sizeof chunk) {
    for (size_t i = 0; i < sizeof chunk; ++i) chunk[i] = (unsigned char)((off + i) * 131 >> 3);
    if (fwrite(chunk, 1, sizeof chunk, f) != sizeof chunk) return fail("fwrite");
  }
  if (fclose(f) != 0) return fail("fclose");
  f = fopen(p, "rb");
  if (!f) return fail("fopen big for reading");
  uint32_t h = 2166136261u;
  size_t got = 0, n;
  while ((n = fread(chunk, 1, 10000, f)) > 0) {  // odd-sized reads across the chunks
    for (size_t i = 0; i < n; ++i) h = (h ^ chunk[i]) * 16777619u;
    got += n;
  }
  fclose(f);
  printf("wrote %zu, read %zu, fnv1a %08x\n", total, got, h);
  int fd = open(p, O_RDONLY);
  if (fd < 0) return fail("open big");
  if (lseek(fd, 1234567, SEEK_SET) != 1234567) return fail("lseek");
  unsigned char b[4];
  if (read(fd, b, 4) != 4) return fail("read");
  printf("at 1234567: %02x %02x %02x %02x\n", b[0], b[1], b[2], b[3]);
  printf("end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
  close(fd);
  if (truncate(p, 100) != 0) return fail("truncate");
  struct stat st;
  if (stat(p, &st) != 0) return fail("stat");
  printf("after truncate: %lld\n", (long long)st.st_size);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr,
            "usage: wasi_cli args|env|stdio|files|list|exit|clocks|random|cat|escape|errors|big|"
            "spin\n");
    return 2;
  }
  const char* cmd = argv[1];
  if (strcmp(cmd, "args") == 0) {
    printf("argc %d\n", argc);
    for (int i = 1; i < argc; ++i) printf("arg %d: %s\n", i, argv[i]);
    return 0;
  }
  if (strcmp(cmd, "env") == 0) {
    for (int i = 2; i < argc; ++i) {
      const char* v = getenv(argv[i]);
      printf("%s=%s\n", argv[i], v ? v : "(unset)");
    }
    return 0;
  }
  if (strcmp(cmd, "stdio") == 0) {
    printf("to stdout\n");
    fflush(stdout);
    fprintf(stderr, "to stderr\n");
    return 0;
  }
  if (strcmp(cmd, "files") == 0 && argc == 3) return files(argv[2]);
  if (strcmp(cmd, "list") == 0 && argc == 3) return list(argv[2]);
  if (strcmp(cmd, "escape") == 0 && argc == 3) return escape(argv[2]);
  if (strcmp(cmd, "errors") == 0 && argc == 3) return errors(argv[2]);
  if (strcmp(cmd, "big") == 0 && argc == 3) return big(argv[2]);
  if (strcmp(cmd, "exit") == 0 && argc == 3) {
    printf("exiting with %d\n", atoi(argv[2]));
    exit(atoi(argv[2]));
  }
  if (strcmp(cmd, "clocks") == 0) {
    struct timespec m1, m2, w, res;
    if (clock_gettime(CLOCK_MONOTONIC, &m1) || clock_gettime(CLOCK_REALTIME, &w) ||
        clock_gettime(CLOCK_MONOTONIC, &m2) || clock_getres(CLOCK_MONOTONIC, &res)) {
      return fail("clock_gettime");
    }
    int mono_ok = m2.tv_sec > m1.tv_sec || (m2.tv_sec == m1.tv_sec && m2.tv_nsec >= m1.tv_nsec);
    printf("monotonic non-decreasing: %d\n", mono_ok);
    printf("wall clock after 2020: %d\n", w.tv_sec > 1577836800);
    printf("resolution positive: %d\n", res.tv_sec > 0 || res.tv_nsec > 0);
    struct timespec nap = {0, 1000000};
    nanosleep(&nap, NULL);  // poll_oneoff on a clock subscription
    struct timespec m3;
    clock_gettime(CLOCK_MONOTONIC, &m3);
    int64_t slept = (int64_t)(m3.tv_sec - m2.tv_sec) * 1000000000 + (m3.tv_nsec - m2.tv_nsec);
    printf("slept at least 1ms: %d\n", slept >= 1000000);
    return 0;
  }
  if (strcmp(cmd, "random") == 0) {
    unsigned char a[64], b[64];
    if (getentropy(a, sizeof a) || getentropy(b, sizeof b)) return fail("getentropy");
    int zero = 1;
    for (size_t i = 0; i < sizeof a; ++i) zero &= a[i] == 0;
    printf("64 random bytes, not all zero: %d, two draws differ: %d\n", !zero,
           memcmp(a, b, sizeof a) != 0);
    return 0;
  }
  if (strcmp(cmd, "cat") == 0) {
    char buf[1024];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
      fwrite(buf, 1, n, stdout);
      total += n;
    }
    printf("[%zu bytes]\n", total);
    return 0;
  }
  if (strcmp(cmd, "sleep") == 0 && argc == 3) {  // poll_oneoff on a clock, for argv[2] ms
    printf("sleeping\n");
    fflush(stdout);
    long ms = atol(argv[2]);
    struct timespec nap = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&nap, NULL);
    printf("woke\n");
    return 0;
  }
  if (strcmp(cmd, "spin") == 0) {  // runs until a fuel or time budget stops it
    printf("spinning\n");
    fflush(stdout);
    for (volatile uint64_t i = 0;; i = i + 1) {
    }
  }
  fprintf(stderr, "wasi_cli: unknown command %s\n", cmd);
  return 2;
}
