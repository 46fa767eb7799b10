/* Files and directory trees that tests make and remove. */
#ifndef DROVER_TEST_FILES_H
#define DROVER_TEST_FILES_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

static inline int test_files_rm_entry(const char *path, const struct stat *st, int flag,
                                      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes the test's directory tree without following its symlinks. */
static inline void test_rm_tree(const char *root)
{
	nftw(root, test_files_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Copies the file `from` to `to` (created or truncated); a failure fails the
 * test, naming the file. */
static inline void test_copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb");
	cr_assert_not_null(in, "cannot open %s: %s (is it built?)", from, strerror(errno));
	FILE *out = fopen(to, "wb");
	cr_assert_not_null(out, "cannot create %s: %s", to, strerror(errno));
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	cr_assert_eq(ferror(in), 0, "reading %s", from);
	fclose(in);
	cr_assert_eq(fclose(out), 0, "writing %s: %s", to, strerror(errno));
}

#endif
