/*
 * cmd-bench.c - `vmgw bench SITE [--bytes N]`: memory-to-memory throughput
 * through the tunnel to SITE (default 1G; K/M/G/T suffixes).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"

static int
bench_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bytes", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t	 bytes = 1ull << 30;
	json_t		*res;
	int		 ch, ret;
	char		 b[32];

	while ((ch = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
		if (ch != 'b' || size_parse(&bytes, optarg) == -1 ||
		    bytes == 0) {
			if (ch == 'b')
				fprintf(stderr, "vmgw: --bytes %s: not a size "
				    "(e.g. 512M, 4G)\n", optarg);
			return cli_usage(&cmd_bench);
		}
	}
	if (optind != argc - 1)
		return cli_usage(&cmd_bench);
	ret = cli_call(cli, json_pack("{s:s, s:s, s:I}", "cmd", CTL_BENCH,
	    "site", argv[optind], "bytes", (json_int_t)bytes), &res, NULL,
	    NULL);
	if (ret != 0)
		return ret;
	if (cli->json)
		cli_print_json(res);
	else {
		fmt_bytes(b, sizeof(b), (uint64_t)bytes);
		printf("%s: %s in %.3f s: %.0f MB/s (%s)\n",
		    cli_str(res, "site"), b, json_number_value(json_object_get(
		    res, "seconds")), json_number_value(json_object_get(res,
		    "mb_per_s")), cli_str(res, "suite"));
	}
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_bench = {
	.name = "bench",
	.args = "SITE [--bytes N]",
	.summary = "measure throughput through the tunnel to SITE",
	.help = "  --bytes N   how much to send (default 1G; K/M/G/T)\n",
	.exec = bench_exec,
};
