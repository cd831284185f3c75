/* SPDX-License-Identifier: MIT */
/*
 * replay.c - run a libFuzzer target over files, without libFuzzer.
 *
 * Each argument is a file or a directory of files; each file is read into
 * a heap buffer of exactly its size (so ASan catches reads past the end)
 * and handed to LLVMFuzzerTestOneInput(). Lets gcc builds and the
 * sanitizer builds run the corpora as ordinary tests.
 */
#define _GNU_SOURCE	/* asprintf() */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;

	if (!f || fstat(fileno(f), &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)st.st_size);
	free(buf);
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays a directory's regular files in name order, so runs repeat. */
static int replay_dir(const char *path, unsigned int *count)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t nr = 0, cap = 0;
	int err = 0;

	if (!dir) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (nr == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				abort();
		}
		if (asprintf(&names[nr++], "%s/%s", path, de->d_name) < 0)
			abort();
	}
	closedir(dir);
	qsort(names, nr, sizeof(*names), compare_names);
	for (size_t i = 0; i < nr; i++) {
		if (replay_file(names[i]))
			err = -1;
		else
			(*count)++;
		free(names[i]);
	}
	free(names);
	return err;
}

int main(int argc, char **argv)
{
	unsigned int count = 0;
	int err = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count) : replay_file(argv[i]))
			err = 1;
		else if (!S_ISDIR(st.st_mode))
			count++;
	}
	if (count == 0) {
		fprintf(stderr, "replay: no inputs replayed\n");
		return 1;
	}
	printf("replay: %u inputs replayed\n", count);
	return err;
}
