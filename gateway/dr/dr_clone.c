/*
 * dr_clone.c - `vmgw clone DOMAIN --name NEW [--point P] [--linked]
 * [--start] [--network NET]` and `vmgw clone --remove NEW`, at the backup
 * site that holds DOMAIN's replica: a new, persistent guest NEW from a
 * recovery point, while DOMAIN keeps running at home and replication goes
 * on (issue 10, item 4).
 *
 *   check    (worker) the chain and the point; NEW not defined, not
 *            DOMAIN; the network, when named, exists; the disks
 *            <dir of the point's image>/NEW-<target>.qcow2 do not exist;
 *            the XML rewrite (kvm_xml_clone) passes.  Any of these:
 *            refused (exit 6), nothing made.
 *   make     (worker) a record state_dir/clones/NEW.json, created
 *            exclusively (the claim; --remove reads it, also after a
 *            vmgwd restart); the point pinned ("clone NEW"); per disk a
 *            qcow2 overlay on the point's file (--linked) or a flattened
 *            copy of the chain at the point (qemu-img convert: the pin
 *            holds only while it copies); defined; started (--start).
 *            A failure anywhere removes what was made, in reverse.
 *   remove   (worker) NEW undefined (only when its UUID is the record's),
 *            its disks (only the names a clone gives them), the pin
 *            (handed over to another linked clone of the same point, if
 *            any), the record.
 *
 * The pin of a point has one reason; a linked clone keeps its point alive
 * through its record too: who else lifts a pin (a failover test's end, a
 * failover's end) asks dr_clone_holder first and hands the pin over.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "dr.h"

#define DR_CL_DIR		"clones"	/* under state_dir */
#define DR_CL_NAME_MAX		64
#define DR_CL_NET_MAX		63
#define DR_CL_RECORD_MAX	(64 * 1024)
#define DR_CL_COPYING		" (copying)"	/* a full clone's pin, briefly */

struct dr_cl_disk {
	char	 target[DRC_TARGET_MAX + 1];
	char	 file[700];	/* the clone's image */
	char	 back[700];	/* the point's file in the chain */
};

struct dr_cl {
	struct gw		*gw;
	struct ctl_conn		*ctl;		/* NULL: the CLI went away */
	int			 remove;
	char			 domain[128];
	char			 name[DR_CL_NAME_MAX + 1];
	char			 want[DRC_ID_MAX + 1];
	char			 network[DR_CL_NET_MAX + 1];	/* "": kept */
	int			 linked, start;
	int64_t			 t0;
	char			 dir[600];	/* the chain */
	char			 rpath[700];	/* the record */
	char			 point[DRC_ID_MAX + 1];
	int64_t			 point_start;
	int			 app;
	char			 uuid[KVM_UUID_LEN + 1];
	struct dr_cl_disk	 disks[DRC_DISKS_MAX];
	size_t			 n_disks;
	size_t			 n_made;	/* disks[0..n_made) may exist */
	char			*xml;		/* the clone's definition */
	int			 claimed, defined, started;
	int			 pinned;	/* this clone holds the pin */
	json_t			*ifaces;	/* [{mac, network}] */
	json_t			*removed;	/* --remove: what went */
	int			 exitcode;
	char			 err[512];
};

static int
dr_cl_name_ok(const char *s, size_t max)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > max || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

static void
dr_cl_closed(struct ctl_conn *c, void *arg)
{
	((struct dr_cl *)arg)->ctl = NULL;
}

#define REFUSE(f, ...) do { snprintf((f)->err, sizeof((f)->err), \
	__VA_ARGS__); (f)->exitcode = VMGW_EXIT_REFUSED; } while (0)

/* ---- the record (state_dir/clones/NEW.json) */

static void
dr_cl_rpath(const struct vmgw_config *conf, const char *name, char *out,
    size_t outlen)
{
	snprintf(out, outlen, "%s/%s/%s.json", conf->state_dir, DR_CL_DIR,
	    name);
}

static int
dr_cl_record_save(struct dr_cl *f)
{
	json_t	*o, *d = json_array();
	char	*s = NULL, e[512];
	size_t	 i;
	int	 r = -1;

	for (i = 0; i < f->n_made; i++)
		json_array_append_new(d, json_pack("{s:s, s:s}", "target",
		    f->disks[i].target, "file", f->disks[i].file));
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:I, s:o}", "name",
	    f->name, "domain", f->domain, "dir", f->dir, "point", f->point,
	    "linked", f->linked, "uuid", f->uuid, "at", (json_int_t)f->t0,
	    "disks", d);
	if (o != NULL && (s = json_dumps(o, JSON_INDENT(2))) != NULL &&
	    drc_write_atomic(f->rpath, s, strlen(s), e, sizeof(e)) == 0)
		r = 0;
	else
		snprintf(f->err, sizeof(f->err), "%s: %s", f->rpath, s ? e :
		    "out of memory");
	free(s);
	json_decref(o);
	return r;
}

/* The claim: the record created only if there is none. */
static int
dr_cl_record_claim(struct dr_cl *f)
{
	char	 d[600];
	int	 fd;

	snprintf(d, sizeof(d), "%s/%s", f->gw->conf->state_dir, DR_CL_DIR);
	if (mkdir(d, 0700) == -1 && errno != EEXIST) {
		snprintf(f->err, sizeof(f->err), "%s: %s", d, strerror(errno));
		return -1;
	}
	if ((fd = open(f->rpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		if (errno == EEXIST)
			REFUSE(f, "%s: a clone of that name is recorded at %s "
			    "(%s): vmgw clone --remove %s", f->name,
			    f->gw->conf->site, f->rpath, f->name);
		else
			snprintf(f->err, sizeof(f->err), "%s: %s", f->rpath,
			    strerror(errno));
		return -1;
	}
	close(fd);
	f->claimed = 1;
	return dr_cl_record_save(f);
}

static const char *
jstr(json_t *o, const char *k, size_t max)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL && strlen(s) <= max ? s : NULL;
}

/* A clone's image name: <dir>/<name>-<target>.qcow2 */
static int
dr_cl_file_ok(const char *name, const char *target, const char *file)
{
	char	 want[DR_CL_NAME_MAX + DRC_TARGET_MAX + 16];
	const char *b = strrchr(file, '/');

	snprintf(want, sizeof(want), "%s-%s.qcow2", name, target);
	return file[0] == '/' && b != NULL && strcmp(b + 1, want) == 0 &&
	    strstr(file, "/../") == NULL && drc_file_name_ok(target);
}

/* Read back: only what this clone could have made is taken. */
static int
dr_cl_record_load(const char *path, const char *name, struct dr_cl *f)
{
	char		*text = NULL, e[512];
	json_t		*o = NULL, *d, *v;
	json_error_t	 je;
	const char	*s[5], *t, *file;
	size_t		 len, i;
	int		 ret = -1;

	if (drc_read_file(path, DR_CL_RECORD_MAX, &text, &len, e,
	    sizeof(e)) == -1) {
		if (errno == ENOENT)
			REFUSE(f, "%s: no clone of that name at %s (vmgw clone "
			    "makes one)", name, f->gw->conf->site);
		else
			snprintf(f->err, sizeof(f->err), "%s", e);
		return -1;
	}
	if ((o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(o))
		goto bad;
	s[0] = jstr(o, "name", DR_CL_NAME_MAX);
	s[1] = jstr(o, "domain", sizeof(f->domain) - 1);
	s[2] = jstr(o, "dir", sizeof(f->dir) - 1);
	s[3] = jstr(o, "point", DRC_ID_MAX);
	s[4] = jstr(o, "uuid", KVM_UUID_LEN);
	d = json_object_get(o, "disks");
	for (i = 0; i < 5; i++)
		if (s[i] == NULL)
			goto bad;
	if (strcmp(s[0], name) != 0 || !json_is_array(d) ||
	    json_array_size(d) > DRC_DISKS_MAX || s[2][0] != '/' ||
	    (s[3][0] != '\0' && !drc_file_name_ok(s[3])))
		goto bad;
	snprintf(f->name, sizeof(f->name), "%s", s[0]);
	snprintf(f->domain, sizeof(f->domain), "%s", s[1]);
	snprintf(f->dir, sizeof(f->dir), "%s", s[2]);
	snprintf(f->point, sizeof(f->point), "%s", s[3]);
	snprintf(f->uuid, sizeof(f->uuid), "%s", s[4]);
	f->linked = json_is_true(json_object_get(o, "linked"));
	f->n_made = 0;
	json_array_foreach(d, i, v) {
		t = jstr(v, "target", DRC_TARGET_MAX);
		file = jstr(v, "file", sizeof(f->disks[0].file) - 1);
		if (t == NULL || file == NULL || !dr_cl_file_ok(name, t, file)) {
			snprintf(f->err, sizeof(f->err), "%s: disk %s is not "
			    "a name a clone gives its images: remove what it "
			    "names by hand", path, file ? file : "?");
			goto out;
		}
		snprintf(f->disks[i].target, sizeof(f->disks[i].target), "%s",
		    t);
		snprintf(f->disks[i].file, sizeof(f->disks[i].file), "%s",
		    file);
		f->n_made = i + 1;
	}
	ret = 0;
	goto out;
 bad:
	snprintf(f->err, sizeof(f->err), "%s: a damaged clone record: remove "
	    "what it names by hand", path);
 out:
	json_decref(o);
	free(text);
	return ret;
}

/*
 * Does another linked clone (not except) stand on point of the chain in
 * dir?  1 and its name in who, 0 none.  Records that cannot be read count
 * as none (they are logged).
 */
int
dr_clone_holder(const struct vmgw_config *conf, const char *dir,
    const char *point, const char *except, char *who, size_t wholen)
{
	char		 d[600], path[1024], *text;
	struct dirent	*de;
	DIR		*dp;
	json_t		*o;
	size_t		 len, n;
	int		 found = 0;
	char		 e[512];

	snprintf(d, sizeof(d), "%s/%s", conf->state_dir, DR_CL_DIR);
	if ((dp = opendir(d)) == NULL)
		return 0;
	while (!found && (de = readdir(dp)) != NULL) {
		n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5,
		    ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", d, de->d_name);
		if (drc_read_file(path, DR_CL_RECORD_MAX, &text, &len, e,
		    sizeof(e)) == -1) {
			log_warnx("%s", e);
			continue;
		}
		o = json_loadb(text, len, 0, NULL);
		free(text);
		if (json_is_true(json_object_get(o, "linked")) &&
		    jstr(o, "name", DR_CL_NAME_MAX) != NULL &&
		    (except == NULL || strcmp(jstr(o, "name", DR_CL_NAME_MAX),
		    except) != 0) && jstr(o, "dir", 600) != NULL &&
		    strcmp(jstr(o, "dir", 600), dir) == 0 &&
		    jstr(o, "point", DRC_ID_MAX) != NULL &&
		    strcmp(jstr(o, "point", DRC_ID_MAX), point) == 0) {
			snprintf(who, wholen, "%s", jstr(o, "name",
			    DR_CL_NAME_MAX));
			found = 1;
		}
		json_decref(o);
	}
	closedir(dp);
	return found;
}

/* ---- the pin */

/*
 * pin: the point pinned "clone NEW" (a full clone: "clone NEW (copying)")
 * unless it is pinned already (then whoever lifts that pin hands it over,
 * dr_clone_holder).  unpin: a pin with this clone's reason is handed over
 * to another linked clone of the point, or lifted; any other pin stays.
 */
static int
dr_cl_pin(struct dr_cl *f, int pin, char *err, size_t errlen)
{
	struct drc_manifest	*m = NULL;
	struct drc_point	*p;
	char			 mpath[700], mine[DRC_TEXT_MAX + 1], who[80];
	char			 copying[DRC_TEXT_MAX + 1];
	ssize_t			 i;
	int			 ret = -1;

	snprintf(mine, sizeof(mine), "clone %s", f->name);
	snprintf(copying, sizeof(copying), "clone %s%s", f->name,
	    DR_CL_COPYING);
	snprintf(mpath, sizeof(mpath), "%s/manifest.json", f->dir);
	drc_manifest_lock();
	if (drc_manifest_load(mpath, &m, err, errlen) == -1)
		goto out;
	if ((i = drc_manifest_find(m, f->point)) < 0) {
		if (!pin) {
			ret = 0;	/* gone with its chain: nothing held */
			goto out;
		}
		snprintf(err, errlen, "%s: point %s is gone from %s", f->domain,
		    f->point, mpath);
		goto out;
	}
	p = &m->points[i];
	if (pin) {
		if (p->pinned) {
			ret = 0;
			goto out;
		}
		p->pinned = f->pinned = 1;
		snprintf(p->pin_reason, sizeof(p->pin_reason), "%s",
		    f->linked ? mine : copying);
	} else {
		if (!p->pinned || (strcmp(p->pin_reason, mine) != 0 &&
		    strcmp(p->pin_reason, copying) != 0)) {
			f->pinned = 0;
			ret = 0;
			goto out;
		}
		if (dr_clone_holder(f->gw->conf, f->dir, f->point, f->name, who,
		    sizeof(who)) == 1)
			snprintf(p->pin_reason, sizeof(p->pin_reason),
			    "clone %s", who);
		else {
			p->pinned = 0;
			p->pin_reason[0] = '\0';
		}
		f->pinned = 0;
	}
	ret = drc_manifest_save(mpath, m, err, errlen);
 out:
	drc_manifest_unlock();
	drc_manifest_free(m);
	return ret;
}

/* ---- make */

static ssize_t
dr_cl_pick(struct dr_cl *f, const struct drc_manifest *m)
{
	ssize_t	 i;

	if ((i = dr_point_pick(m, f->want, f->domain, f->gw->conf->site,
	    f->err, sizeof(f->err))) < 0)
		f->exitcode = VMGW_EXIT_REFUSED;
	return i;
}

/* (worker, nothing made yet) the refusals; the clone's disks and XML */
static int
dr_cl_check(struct dr_cl *f, struct kvm *k, const struct drc_point *p)
{
	struct kvm_xml_disk	*xd = NULL;
	struct vmgw_map		 map[DRC_DISKS_MAX];
	char			 e[512], found[160], *dcopy;
	size_t			 i, j, nxd = 0;
	int			 r, ret = -1;

	if (strcmp(f->name, f->domain) == 0) {
		REFUSE(f, "%s: a clone needs a name of its own", f->name);
		return -1;
	}
	if ((r = kvm_domain_exists(k, f->name, NULL, found, sizeof(found),
	    f->err, sizeof(f->err))) != 0) {
		if (r == 1)
			REFUSE(f, "%s: a domain of that name exists at %s",
			    f->name, f->gw->conf->site);
		return -1;
	}
	if (f->network[0] != '\0' && kvm_network_exists(k, f->network, e,
	    sizeof(e)) == -1) {
		REFUSE(f, "%s: --network %s: no active network of that name at "
		    "%s (%s)", f->name, f->network, f->gw->conf->site, e);
		return -1;
	}
	if (kvm_xml_disks(p->domain_xml, &xd, &nxd, f->err,
	    sizeof(f->err)) == -1)
		return -1;
	for (i = 0; i < p->n_disks && i < DRC_DISKS_MAX; i++) {
		for (j = 0; j < nxd; j++)
			if (strcmp(xd[j].target, p->disks[i].target) == 0)
				break;
		if (j == nxd) {
			REFUSE(f, "%s: point %s: disk %s is not in its domain "
			    "XML", f->domain, f->point, p->disks[i].target);
			goto out;
		}
		if ((dcopy = strdup(xd[j].path)) == NULL) {
			snprintf(f->err, sizeof(f->err), "out of memory");
			goto out;
		}
		snprintf(f->disks[i].target, sizeof(f->disks[i].target), "%s",
		    p->disks[i].target);
		snprintf(f->disks[i].file, sizeof(f->disks[i].file),
		    "%s/%s-%s.qcow2", dirname(dcopy), f->name,
		    p->disks[i].target);
		free(dcopy);
		snprintf(f->disks[i].back, sizeof(f->disks[i].back), "%s/%s",
		    f->dir, p->disks[i].file);
		if (access(f->disks[i].file, F_OK) == 0) {
			REFUSE(f, "%s: disk %s: %s exists: vmgw does not "
			    "overwrite it", f->name, f->disks[i].target,
			    f->disks[i].file);
			goto out;
		}
		map[i] = (struct vmgw_map){ f->disks[i].target,
		    f->disks[i].file };
	}
	f->n_disks = i;
	if (kvm_xml_clone(p->domain_xml, f->name, map, f->n_disks,
	    f->network[0] ? f->network : NULL, &f->xml, f->err,
	    sizeof(f->err)) == -1) {
		f->exitcode = VMGW_EXIT_REFUSED;
		goto out;
	}
	ret = 0;
 out:
	kvm_xml_disks_free(xd, nxd);
	return ret;
}

static int
dr_cl_make_disk(struct dr_cl *f, const struct dr_cl_disk *d)
{
	const char	*argv[12];
	char		 msg[512];
	int		 n = 0;

	argv[n++] = "qemu-img";
	if (f->linked) {
		argv[n++] = "create"; argv[n++] = "-q"; argv[n++] = "-f";
		argv[n++] = "qcow2"; argv[n++] = "-F"; argv[n++] = "qcow2";
		argv[n++] = "-b"; argv[n++] = d->back;
	} else {
		argv[n++] = "convert"; argv[n++] = "-q"; argv[n++] = "-f";
		argv[n++] = "qcow2"; argv[n++] = "-O"; argv[n++] = "qcow2";
		argv[n++] = "-o"; argv[n++] = "compat=1.1"; argv[n++] = d->back;
	}
	argv[n++] = d->file;
	argv[n] = NULL;
	if (drc_run(argv, msg, sizeof(msg)) != 0) {
		snprintf(f->err, sizeof(f->err), "%s: disk %s: %s %s: %s",
		    f->name, d->target, f->linked ? "overlay on" : "copy of",
		    d->back, msg);
		return -1;
	}
	return 0;
}

/* Everything the clone has: the first failure in f->err (unless set), the
 * rest in the log; 0 when all is gone. */
static int
dr_cl_clean(struct dr_cl *f, struct kvm *k, int domain)
{
	char	 e[512], m[800];
	size_t	 i;
	int	 ret = 0;

#define FAIL(...) do { snprintf(m, sizeof(m), __VA_ARGS__); \
	log_warnx("%s", m); \
	if (ret == 0 && f->err[0] == '\0') \
		snprintf(f->err, sizeof(f->err), "%s", m); \
	ret = -1; } while (0)
	if (domain && k != NULL) {
		if (kvm_domain_remove(k, f->name, e, sizeof(e)) == -1)
			FAIL("%s", e);
		else if (f->removed != NULL)
			json_array_append_new(f->removed, json_pack("{s:s, s:s}",
			    "what", "domain", "name", f->name));
	}
	for (i = 0; ret == 0 && i < f->n_made; i++) {
		if (unlink(f->disks[i].file) == 0) {
			if (f->removed != NULL)
				json_array_append_new(f->removed, json_pack(
				    "{s:s, s:s}", "what", "disk", "name",
				    f->disks[i].file));
		} else if (errno != ENOENT)
			FAIL("%s: %s", f->disks[i].file, strerror(errno));
	}
	if (ret == 0 && f->point[0] != '\0' && dr_cl_pin(f, 0, e,
	    sizeof(e)) == -1)
		FAIL("%s: %s", f->name, e);
#undef FAIL
	return ret;
}

/* (worker) check, claim, pin, disks, define, start */
static void
dr_cl_make_work(void *arg)
{
	struct dr_cl		*f = arg;
	struct drc_manifest	*m = NULL;
	struct drc_point	*p;
	struct kvm		*k = NULL;
	struct kvm_domain_info	*di = NULL;
	char			 e[512];
	ssize_t			 pi;
	size_t			 i;
	int			 r;

	if ((r = dr_local_chain(f->gw->conf, f->domain, f->dir, sizeof(f->dir),
	    &m, f->err, sizeof(f->err))) == 0)
		REFUSE(f, "%s: no replica at %s", f->domain, f->gw->conf->site);
	if (r != 1 || (pi = dr_cl_pick(f, m)) < 0)
		goto out;
	p = &m->points[pi];
	snprintf(f->point, sizeof(f->point), "%s", p->id);
	f->point_start = p->start;
	f->app = p->consistency == DRC_APP;
	if (kvm_open(&k, f->gw->conf->libvirt, f->err, sizeof(f->err)) == -1 ||
	    dr_cl_check(f, k, p) == -1 || dr_cl_record_claim(f) == -1)
		goto out;
	/* from here on everything made is undone on a failure */
	if (dr_cl_pin(f, 1, f->err, sizeof(f->err)) == -1)
		goto out;
	for (i = 0; i < f->n_disks; i++) {
		f->n_made = i + 1;
		if (dr_cl_record_save(f) == -1 ||
		    dr_cl_make_disk(f, &f->disks[i]) == -1)
			goto out;
	}
	if (!f->linked && dr_cl_pin(f, 0, f->err, sizeof(f->err)) == -1)
		goto out;
	if (kvm_domain_define(k, f->xml, f->err, sizeof(f->err)) == -1)
		goto out;
	f->defined = 1;
	if (kvm_domain_inspect(k, f->name, &di, f->err, sizeof(f->err)) == -1)
		goto out;
	snprintf(f->uuid, sizeof(f->uuid), "%s", di->uuid);
	if (dr_cl_record_save(f) == -1)
		goto out;
	f->ifaces = json_array();
	for (i = 0; i < di->n_nics; i++)
		json_array_append_new(f->ifaces, json_pack("{s:s?, s:s?, s:s?}",
		    "mac", di->nics[i].mac, "type", di->nics[i].type,
		    "network", di->nics[i].source));
	if (f->start) {
		if (kvm_domain_start(k, f->name, f->err, sizeof(f->err)) == -1)
			goto out;
		f->started = 1;
	}
	log_info("%s: clone of %s from point %s at %s (%s, %s)", f->name,
	    f->domain, f->point, f->gw->conf->site, f->linked ? "linked" :
	    "full", f->started ? "started" : "defined");
 out:
	if (f->err[0] != '\0' && f->claimed) {
		/* nothing half-made stays */
		snprintf(e, sizeof(e), "%s", f->err);
		f->err[0] = '\0';
		if (dr_cl_clean(f, k, f->defined) == 0)
			unlink(f->rpath);
		else
			log_warnx("%s: half-made clone kept in %s: %s", f->name,
			    f->rpath, f->err);
		snprintf(f->err, sizeof(f->err), "%s", e);
	}
	kvm_domain_info_free(di);
	kvm_close(k);
	drc_manifest_free(m);
}

/* ---- remove */

static void
dr_cl_remove_work(void *arg)
{
	struct dr_cl		*f = arg;
	struct kvm		*k = NULL;
	struct kvm_domain_info	*di = NULL;
	int			 r, domain = 0;
	char			 found[160];

	f->removed = json_array();
	if (dr_cl_record_load(f->rpath, f->name, f) == -1 ||
	    kvm_open(&k, f->gw->conf->libvirt, f->err, sizeof(f->err)) == -1)
		goto out;
	if ((r = kvm_domain_exists(k, f->name, NULL, found, sizeof(found),
	    f->err, sizeof(f->err))) == -1)
		goto out;
	if (r == 1) {
		/* only the domain the clone made */
		if (kvm_domain_inspect(k, f->name, &di, f->err,
		    sizeof(f->err)) == -1)
			goto out;
		if (f->uuid[0] == '\0' || strcmp(di->uuid, f->uuid) != 0) {
			REFUSE(f, "%s: the domain of that name at %s has UUID "
			    "%s, not the clone's (%s): left alone", f->name,
			    f->gw->conf->site, di->uuid, f->uuid[0] ? f->uuid :
			    "unknown");
			goto out;
		}
		domain = 1;
	}
	if (dr_cl_clean(f, k, domain) == -1)
		goto out;		/* the record stays: --remove again */
	if (f->linked && f->point[0] != '\0')
		json_array_append_new(f->removed, json_pack("{s:s, s:s}",
		    "what", "pin", "name", f->point));
	if (unlink(f->rpath) == -1 && errno != ENOENT)
		snprintf(f->err, sizeof(f->err), "%s: %s", f->rpath,
		    strerror(errno));
	else
		log_info("%s: clone of %s removed", f->name, f->domain);
 out:
	kvm_domain_info_free(di);
	kvm_close(k);
}

/* ---- the reply */

static void
dr_cl_done(void *arg)
{
	struct dr_cl	*f = arg;
	json_t		*rep, *d;
	size_t		 i;

	if (f->ctl != NULL) {
		ctl_set_close_cb(f->ctl, NULL, NULL);
		if (f->err[0] != '\0')
			ctl_error(f->ctl, f->exitcode ? f->exitcode :
			    VMGW_EXIT_FAIL, "%s", f->err);
		else if (f->remove)
			ctl_ok(f->ctl, json_pack("{s:s, s:s, s:s, s:O}", "name",
			    f->name, "domain", f->domain, "point", f->point,
			    "removed", f->removed));
		else {
			d = json_array();
			for (i = 0; i < f->n_disks; i++)
				json_array_append_new(d, json_pack("{s:s, s:s}",
				    "target", f->disks[i].target, "file",
				    f->disks[i].file));
			rep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, "
			    "s:b, s:o, s:o, s:O, s:b, s:b}", "name", f->name,
			    "uuid", f->uuid, "domain", f->domain, "site",
			    f->gw->conf->site, "point", f->point,
			    "point_start", (json_int_t)f->point_start,
			    "consistency", f->app ? "app" : "crash",
			    "linked", f->linked, "disks", d, "network",
			    f->network[0] ? json_string(f->network) :
			    json_null(), "interfaces", f->ifaces ? f->ifaces :
			    json_array(), "pinned", f->linked, "started",
			    f->started);
			if (rep != NULL)
				ctl_ok(f->ctl, rep);
			else
				ctl_error(f->ctl, VMGW_EXIT_FAIL,
				    "out of memory");
		}
	}
	json_decref(f->ifaces);
	json_decref(f->removed);
	free(f->xml);
	free(f);
}

static void
ctl_clone(struct ctl_conn *c, json_t *req)
{
	const char	*dom = json_string_value(json_object_get(req, "domain"));
	const char	*name = json_string_value(json_object_get(req, "name"));
	const char	*pt = json_string_value(json_object_get(req, "point"));
	const char	*net = json_string_value(json_object_get(req, "network"));
	json_t		*linked = json_object_get(req, "linked");
	json_t		*start = json_object_get(req, "start");
	json_t		*remove = json_object_get(req, "remove");
	struct dr_cl	*f;

	if (name == NULL || !dr_cl_name_ok(name, DR_CL_NAME_MAX)) {
		ctl_error(c, VMGW_EXIT_USAGE, "--name %s: 1..%d of A-Z a-z 0-9 "
		    "- _ . (not first: - .)", name ? name : "?",
		    DR_CL_NAME_MAX);
		return;
	}
	if ((linked != NULL && !json_is_boolean(linked)) || (start != NULL &&
	    !json_is_boolean(start)) || (remove != NULL &&
	    !json_is_boolean(remove))) {
		ctl_error(c, VMGW_EXIT_USAGE, "linked, start and remove: true "
		    "or false");
		return;
	}
	if (json_object_get(req, "to") != NULL) {
		ctl_error(c, VMGW_EXIT_REFUSED, "%s: clone --to (from the "
		    "running guest at home) is not supported: run vmgw sync "
		    "at home, then vmgw clone at the backup site", name);
		return;
	}
	if (json_is_true(remove)) {
		if (dom != NULL || pt != NULL || net != NULL ||
		    json_is_true(linked) || json_is_true(start)) {
			ctl_error(c, VMGW_EXIT_USAGE, "--remove takes only the "
			    "clone's name");
			return;
		}
	} else {
		if ((dom = dr_domain_arg(c, req)) == NULL ||
		    (pt = dr_point_arg(c, req)) == NULL)
			return;
		if (net != NULL && !dr_cl_name_ok(net, DR_CL_NET_MAX)) {
			ctl_error(c, VMGW_EXIT_USAGE, "--network %s: not a "
			    "network name", net);
			return;
		}
		if (json_is_true(start) && net == NULL) {
			ctl_error(c, VMGW_EXIT_REFUSED, "%s: --start needs "
			    "--network NET: a clone is not started on the "
			    "original's networks", name);
			return;
		}
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	f->gw = c->gw;
	f->ctl = c;
	f->t0 = (int64_t)time(NULL);
	f->remove = json_is_true(remove);
	f->linked = json_is_true(linked);
	f->start = json_is_true(start);
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->domain, sizeof(f->domain), "%s", dom ? dom : "");
	snprintf(f->want, sizeof(f->want), "%s", pt ? pt : "");
	snprintf(f->network, sizeof(f->network), "%s", net ? net : "");
	dr_cl_rpath(c->gw->conf, name, f->rpath, sizeof(f->rpath));
	ctl_set_close_cb(c, dr_cl_closed, f);
	if (worker_run(c->gw, f->remove ? dr_cl_remove_work : dr_cl_make_work,
	    dr_cl_done, f) == -1) {
		ctl_set_close_cb(c, NULL, NULL);
		ctl_error(c, VMGW_EXIT_FAIL, "cannot start a thread");
		free(f);
	}
}

int
dr_clone_init(void)
{
	return ctl_register(CTL_CLONE, ctl_clone);
}
