/*
 * config_int.h - internals of config/: the walker over a libyaml document
 * that keeps the dotted key path and reports "FILE:LINE:COL: path: what".
 * Not for use outside config/.
 *
 * Every check reports its error through cfg_error() and returns -1; the
 * walkers (cfg_struct, cfg_pairs, cfg_items) note the failure and go on with
 * the next key or item, so that one load reports every error in the file.
 * Only ctx->stop (the error cap, out of memory) ends the walk early.
 */
#ifndef VMGW_CONFIG_INT_H
#define VMGW_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "config.h"

#define CFG_FMT(a, b)	__attribute__((format(printf, a, b)))
#define CFG_QUOTE_MAX	72	/* room for a quoted value in a message */
#define CFG_LINE_MAX	2048	/* one formatted error line */
/*
 * Values the walk may visit: aliases let a small file name the same big
 * sequence thousands of times ("billion laughs"), and every visit costs
 * memory.  A file of CONFIG_FILE_MAX without aliases has fewer than half
 * as many nodes, so only alias expansion reaches it.
 */
#define CFG_WALK_MAX	2000000

struct cfg_ctx {
	const char	*file;		/* name in messages */
	char		*dir;		/* for relative paths; NULL: the cwd */
	yaml_document_t	*doc;
	config_error_fn	*report;	/* gets each error line */
	void		*report_arg;
	size_t		 nerr;		/* errors reported so far */
	size_t		 visits;	/* values walked, up to CFG_WALK_MAX */
	int		 stop;		/* cap reached or out of memory: unwind */
	char		 path[512];	/* dotted key path of the current node */
	size_t		 pathlen;
};

/* One key of a fixed mapping: its parser gets the value and the object. */
struct cfg_key {
	const char	*name;
	int		(*parse)(struct cfg_ctx *, yaml_node_t *, void *);
	int		 required;
};

typedef int	(*cfg_pair_fn)(struct cfg_ctx *, yaml_node_t *key,
		    yaml_node_t *value, void *);
typedef int	(*cfg_item_fn)(struct cfg_ctx *, yaml_node_t *, size_t,
		    void *);

/* yamlwalk.c: errors and the key path */
int	 cfg_error(struct cfg_ctx *, const yaml_node_t *, const char *, ...)
	    CFG_FMT(3, 4);		/* always returns -1 */
int	 cfg_error_at(struct cfg_ctx *, const yaml_mark_t *, const char *,
	    ...) CFG_FMT(3, 4);	/* always returns -1 */
int	 cfg_oom(struct cfg_ctx *, const yaml_node_t *);	/* and stops */
void	 cfg_report(struct cfg_ctx *, const char *, ...) CFG_FMT(2, 3);
size_t	 cfg_push(struct cfg_ctx *, const char *);
size_t	 cfg_push_index(struct cfg_ctx *, size_t);
void	 cfg_pop(struct cfg_ctx *, size_t);
const char *cfg_quote(char [CFG_QUOTE_MAX], const char *);

/* yamlwalk.c: structure */
yaml_node_t *cfg_node(struct cfg_ctx *, int);
yaml_node_t *cfg_get(struct cfg_ctx *, yaml_node_t *, const char *);
yaml_node_t *cfg_get_key(struct cfg_ctx *, yaml_node_t *, const char *);
int	 cfg_struct(struct cfg_ctx *, yaml_node_t *, const struct cfg_key *,
	    size_t, void *);
int	 cfg_pairs(struct cfg_ctx *, yaml_node_t *, cfg_pair_fn, void *);
int	 cfg_items(struct cfg_ctx *, yaml_node_t *, cfg_item_fn, void *);
size_t	 cfg_count(const yaml_node_t *);
int	 cfg_null(const yaml_node_t *);

/* yamlwalk.c: scalars; each reports its own error at the node */
int	 cfg_scalar(struct cfg_ctx *, yaml_node_t *, const char *,
	    const char **);
int	 cfg_string(struct cfg_ctx *, yaml_node_t *, char **);
int	 cfg_check_name(struct cfg_ctx *, yaml_node_t *, const char *);
int	 cfg_name(struct cfg_ctx *, yaml_node_t *, char **);
int	 cfg_check_label(struct cfg_ctx *, yaml_node_t *, const char *);
int	 cfg_uint(struct cfg_ctx *, yaml_node_t *, uint64_t, uint64_t,
	    uint64_t *);
int	 cfg_size(struct cfg_ctx *, yaml_node_t *, uint64_t, uint64_t,
	    uint64_t *);
int	 cfg_bool(struct cfg_ctx *, yaml_node_t *, int *);
int	 cfg_choice(struct cfg_ctx *, yaml_node_t *, const char *const *,
	    size_t, int *);
int	 cfg_abspath(struct cfg_ctx *, yaml_node_t *, size_t, char **);
int	 cfg_relpath(struct cfg_ctx *, yaml_node_t *, char **);
int	 cfg_addr(struct cfg_ctx *, yaml_node_t *, struct vmgw_addr *);

/* config.c: reading and loading one YAML document (recovery plans too) */
int	 cfg_read_file(const char *path, size_t max, char **out,
	    size_t *outlen, char *err, size_t errlen);
int	 cfg_check_depth(struct cfg_ctx *, const char *, size_t);
int	 cfg_load_doc(struct cfg_ctx *, yaml_parser_t *, yaml_document_t *,
	    int *loaded, const char *, size_t);

/* sections.c: peers, plans, guests, tunnel */
void	 cfg_plan_defaults(struct vmgw_plan *);
void	 cfg_tunnel_defaults(struct vmgw_tunnel_conf *);
void	 cfg_plan_free(struct vmgw_plan *);
void	 cfg_peer_free(struct vmgw_peer *);
void	 cfg_guest_free(struct vmgw_guest *);
int	 cfg_peers(struct cfg_ctx *, yaml_node_t *, void *);
int	 cfg_guests(struct cfg_ctx *, yaml_node_t *, void *);
int	 cfg_tunnel(struct cfg_ctx *, yaml_node_t *, void *);

/* protect.c: the protect: section */
int	 cfg_protects(struct cfg_ctx *, yaml_node_t *, void *);
int	 cfg_check_protects(struct cfg_ctx *, yaml_node_t *,
	    struct vmgw_config *);
void	 cfg_protect_free(struct vmgw_protect *);

#endif /* VMGW_CONFIG_INT_H */
