/*
 * cmd-clone.c - `vmgw clone DOMAIN --name NEW [--point ID|latest|latest-app]
 * [--linked] [--start] [--network NET]` and `vmgw clone --remove NEW`, at
 * the backup site that holds DOMAIN's replica: a new persistent guest from
 * a recovery point (its own name, UUID, MACs and disks), or its removal.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static int
clone_print(json_t *res)
{
	json_t	*v, *net = json_object_get(res, "network");
	size_t	 i;

	printf("%s: %s clone of %s from point %s (%s-consistent), uuid %s\n",
	    cli_str(res, "name"), json_is_true(json_object_get(res, "linked")) ?
	    "linked" : "full", cli_str(res, "domain"), cli_str(res, "point"),
	    cli_str(res, "consistency"), cli_str(res, "uuid"));
	json_array_foreach(json_object_get(res, "disks"), i, v)
		printf("  disk %s: %s\n", cli_str(v, "target"), cli_str(v,
		    "file"));
	json_array_foreach(json_object_get(res, "interfaces"), i, v)
		printf("  interface %s on %s\n", cli_str(v, "mac"), cli_str(v,
		    "network"));
	if (json_is_true(json_object_get(res, "linked")))
		printf("  point %s is pinned (\"clone %s\") until vmgw clone "
		    "--remove %s\n", cli_str(res, "point"), cli_str(res,
		    "name"), cli_str(res, "name"));
	if (json_is_true(json_object_get(res, "started")))
		printf("  started on network %s\n", json_string_value(net));
	else if (json_is_string(net))
		printf("  defined, not started (on network %s)\n",
		    json_string_value(net));
	else
		printf("  defined, not started: its interfaces are on the "
		    "original's networks;\n  start it only on another (vmgw "
		    "clone ... --network NET --start)\n");
	return 0;
}

static int
clone_removed(json_t *res)
{
	json_t	*v;
	size_t	 i;

	printf("%s: clone of %s removed\n", cli_str(res, "name"),
	    cli_str(res, "domain"));
	json_array_foreach(json_object_get(res, "removed"), i, v)
		printf("  removed %s %s\n", cli_str(v, "what"), cli_str(v,
		    "name"));
	return 0;
}

static int
clone_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "point", required_argument, NULL, 'p' },
		{ "linked", no_argument, NULL, 'l' },
		{ "start", no_argument, NULL, 's' },
		{ "network", required_argument, NULL, 'N' },
		{ "remove", required_argument, NULL, 'r' },
		{ "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	json_t		*req = json_pack("{s:s}", "cmd", CTL_CLONE), *res;
	int		 ch, ret, remove = 0;

	while ((ch = getopt_long(argc, argv, "n:p:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			json_object_set_new(req, "name", json_string(optarg));
			break;
		case 'p':
			json_object_set_new(req, "point", json_string(optarg));
			break;
		case 'l':
			json_object_set_new(req, "linked", json_true());
			break;
		case 's':
			json_object_set_new(req, "start", json_true());
			break;
		case 'N':
			json_object_set_new(req, "network",
			    json_string(optarg));
			break;
		case 'r':
			remove = 1;
			json_object_set_new(req, "remove", json_true());
			json_object_set_new(req, "name", json_string(optarg));
			break;
		case 't':
			json_object_set_new(req, "to", json_string(optarg));
			break;
		case 'j':
			cli->json = 1;
			break;
		default:
			json_decref(req);
			return cli_usage(&cmd_clone);
		}
	}
	if (remove ? optind != argc : optind != argc - 1) {
		json_decref(req);
		return cli_usage(&cmd_clone);
	}
	if (!remove)
		json_object_set_new(req, "domain", json_string(argv[optind]));
	if ((ret = cli_call(cli, req, &res, NULL, NULL)) != 0)
		return ret;
	if (cli->json)
		cli_print_json(res);
	else
		ret = remove ? clone_removed(res) : clone_print(res);
	json_decref(res);
	return ret;
}

const struct cli_cmd cmd_clone = {
	.name = "clone",
	.args = "DOMAIN --name NEW [--point ID|latest|latest-app] [--linked] "
	    "[--network NET [--start]] [--json]\n       vmgw clone --remove NEW",
	.summary = "a new guest from a recovery point, at the backup site",
	.help = "  --name NEW       the clone's name (its disks: NEW-<target>."
	    "qcow2 next to\n"
	    "                   where the point puts the original's)\n"
	    "  --point P        a point id (vmgw points), latest (default) or "
	    "latest-app\n"
	    "  --linked         qcow2 overlays on the point (fast, small); the "
	    "point stays\n"
	    "                   pinned (\"clone NEW\") until --remove; "
	    "without: a full,\n"
	    "                   independent copy of the disks at the point\n"
	    "  --network NET    every interface on NET, a network at this site\n"
	    "  --start          start it (only with --network: never on the "
	    "original's\n"
	    "                   networks)\n"
	    "  --remove NEW     undefine the clone, delete its disks, lift its "
	    "pin\n"
	    "  --json, -j       the result as JSON\n"
	    "\nThe clone has a new UUID and new MAC addresses (libvirt makes "
	    "them) and no\nhost path of the original's (consoles become ptys, "
	    "channel sockets and\ngraphics ports are its own).  direct and "
	    "hostdev interfaces are refused.\nRefused (exit 6, nothing made): "
	    "a name that exists, a point that does not,\n--start without "
	    "--network, disks that exist, --to (a clone of the running\nguest "
	    "at home is not supported: vmgw sync there, then clone here).  A "
	    "failure\nhalf-way removes what was made.\n",
	.exec = clone_exec,
};
