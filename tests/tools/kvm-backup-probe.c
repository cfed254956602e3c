/*
 * kvm-backup-probe.c - drive kvm/backup.c from the shell, for the lab
 * (tests/lab/t-backup-kvm.sh): one call per run, its result on stdout, the
 * error on stderr.  Built by CMake, not installed.
 *
 * usage: kvm-backup-probe URI DOMAIN COMMAND [ARGS]
 *   begin SOCKET FROM|- NEWCP|- DISK[=SCRATCH]...  pull backup (FROM - : full)
 *   end | running
 *   list                        "NAME PARENT|- CREATION_TIME" per checkpoint
 *   xml NAME                    the checkpoint's XML
 *   delete NAME [metadata]
 *   redefine FILE [validate]
 *   create NAME DISK...
 *   start-cp NAME DISK...       start paused, checkpoint NAME, resume
 *   usable NAME                 "usable" or "unusable: WHY" (exit 0 / 3)
 *   freeze | thaw | agent
 * exit: 0 done, 1 the call failed, 2 usage, 3 a "no" answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_backup.h"

#define MAX_DISKS	16

static int
usage(void)
{
	fprintf(stderr, "usage: kvm-backup-probe URI DOMAIN begin SOCKET "
	    "FROM|- NEWCP|- DISK[=SCRATCH]... | end | running | list | xml "
	    "NAME | delete NAME [metadata] | redefine FILE [validate] | "
	    "create NAME DISK... | start-cp NAME DISK... | usable NAME | freeze | thaw | agent\n");
	return 2;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* "vda=/path" or "vda": split in place */
static size_t
disks_parse(char **argv, int argc, struct kvm_backup_disk *d)
{
	size_t n = 0;
	char *eq;
	int i;

	for (i = 0; i < argc && n < MAX_DISKS; i++, n++) {
		d[n].target = argv[i];
		d[n].scratch = NULL;
		if ((eq = strchr(argv[i], '=')) != NULL) {
			*eq = '\0';
			d[n].scratch = eq + 1;
		}
	}
	return n;
}

static int
cmd_list(struct kvm *k, const char *dom, char *err, size_t errlen)
{
	struct kvm_checkpoint *c;
	size_t i, n;

	if (kvm_checkpoint_list(k, dom, &c, &n, err, errlen) < 0)
		return 1;
	for (i = 0; i < n; i++)
		printf("%s %s %lld\n", c[i].name, c[i].parent ? c[i].parent :
		    "-", (long long)c[i].creation_time);
	kvm_checkpoint_list_free(c, n);
	return 0;
}

static int
run(struct kvm *k, const char *dom, const char *cmd, int argc, char **argv,
    char *err, size_t errlen)
{
	struct kvm_backup_disk d[MAX_DISKS];
	char why[512], *s;
	int n, na, rc;

	if (strcmp(cmd, "begin") == 0 && argc >= 4) {
		if (kvm_backup_begin_pull(k, dom, argv[0],
		    strcmp(argv[1], "-") ? argv[1] : NULL,
		    strcmp(argv[2], "-") ? argv[2] : NULL, d,
		    disks_parse(argv + 3, argc - 3, d), err, errlen) < 0)
			return 1;
		printf("socket %s\n", argv[0]);
		return 0;
	}
	if (strcmp(cmd, "end") == 0)
		return kvm_backup_end(k, dom, err, errlen) < 0;
	if (strcmp(cmd, "running") == 0) {
		if ((rc = kvm_backup_running(k, dom, err, errlen)) < 0)
			return 1;
		printf("%s\n", rc ? "running" : "none");
		return rc ? 0 : 3;
	}
	if (strcmp(cmd, "list") == 0)
		return cmd_list(k, dom, err, errlen);
	if (strcmp(cmd, "xml") == 0 && argc == 1) {
		if (kvm_checkpoint_get_xml(k, dom, argv[0], &s, err,
		    errlen) < 0)
			return 1;
		fputs(s, stdout);
		free(s);
		return 0;
	}
	if (strcmp(cmd, "delete") == 0 && argc >= 1)
		return kvm_checkpoint_delete(k, dom, argv[0], argc > 1 &&
		    strcmp(argv[1], "metadata") == 0, err, errlen) < 0;
	if (strcmp(cmd, "redefine") == 0 && argc >= 1) {
		if ((s = slurp(argv[0])) == NULL) {
			snprintf(err, errlen, "%s: cannot read", argv[0]);
			return 1;
		}
		rc = kvm_checkpoint_redefine(k, dom, s, argc > 1 &&
		    strcmp(argv[1], "validate") == 0, err, errlen) < 0;
		free(s);
		return rc;
	}
	if (strcmp(cmd, "create") == 0 && argc >= 2)
		return kvm_checkpoint_create(k, dom, argv[0], d,
		    disks_parse(argv + 1, argc - 1, d), err, errlen) < 0;
	if (strcmp(cmd, "start-cp") == 0 && argc >= 2)
		return kvm_start_with_checkpoint(k, dom, argv[0], d,
		    disks_parse(argv + 1, argc - 1, d), err, errlen) < 0;
	if (strcmp(cmd, "usable") == 0 && argc == 1) {
		if ((rc = kvm_checkpoint_usable(k, dom, argv[0], why,
		    sizeof(why), err, errlen)) < 0)
			return 1;
		if (rc)
			printf("usable\n");
		else
			printf("unusable: %s\n", why);
		return rc ? 0 : 3;
	}
	if (strcmp(cmd, "freeze") == 0) {
		if ((n = kvm_fs_freeze(k, dom, &na, err, errlen)) < 0) {
			printf("no_agent %d\n", na);
			return 1;
		}
		printf("frozen %d\n", n);
		return 0;
	}
	if (strcmp(cmd, "thaw") == 0) {
		if ((n = kvm_fs_thaw(k, dom, err, errlen)) < 0)
			return 1;
		printf("thawed %d\n", n);
		return 0;
	}
	if (strcmp(cmd, "agent") == 0) {
		if ((rc = kvm_agent_connected(k, dom, why, sizeof(why), err,
		    errlen)) < 0)
			return 1;
		printf("%s\n", rc ? "connected" : why);
		return rc ? 0 : 3;
	}
	return usage();
}

int
main(int argc, char **argv)
{
	struct kvm *k;
	char err[1024] = "";
	int rc;

	if (argc < 4)
		return usage();
	if (kvm_open(&k, argv[1], err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = run(k, argv[2], argv[3], argc - 4, argv + 4, err, sizeof(err));
	if (rc == 1)
		fprintf(stderr, "%s\n", err);
	kvm_close(k);
	return rc;
}
