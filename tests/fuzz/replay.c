/*
 * replay.c - the main of a harness's regression build: every file of the
 * directories (or the files) on the command line, in name order, goes once
 * through LLVMFuzzerTestOneInput(), each in a buffer of exactly its size so
 * that ASan sees any read past the end.  Exit 0 when every input ran, 1
 * when there was none or one could not be read (a crash ends the process).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* weak: a harness without one-time setup does not define it */
int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static int
replay_file(const char *path)
{
	FILE		*f;
	uint8_t		*buf;
	struct stat	 st;
	size_t		 n;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	n = (size_t)st.st_size;
	/* malloc(0) may return NULL: keep one byte, pass size 0 */
	if ((buf = malloc(n > 0 ? n : 1)) == NULL ||
	    fread(buf, 1, n, f) != n) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int
main(int argc, char *argv[])
{
	struct dirent	**ents;
	struct stat	  st;
	char		  path[4096];
	int		  i, j, n, ninputs = 0, bad = 0;

	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1 || !S_ISDIR(st.st_mode)) {
			bad |= replay_file(argv[i]) == -1;
			ninputs++;
			continue;
		}
		if ((n = scandir(argv[i], &ents, not_hidden, alphasort)) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			return 1;
		}
		for (j = 0; j < n; j++) {
			(void)snprintf(path, sizeof(path), "%s/%s", argv[i],
			    ents[j]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				bad |= replay_file(path) == -1;
				ninputs++;
			}
			free(ents[j]);
		}
		free(ents);
	}
	printf("replay: %d inputs\n", ninputs);
	return ninputs == 0 || bad ? 1 : 0;
}
