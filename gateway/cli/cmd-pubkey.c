/*
 * cmd-pubkey.c - `vmgw pubkey FILE`: print the public key of a private key
 * file (the same checks as the daemon: mode 0600, one base64 key).
 */
#include <stdio.h>

#include "cli.h"
#include "keys.h"

static int
pubkey_exec(struct cli *cli, int argc, char **argv)
{
	struct vmgw_privkey	 k = { 0 };
	char			 b64[KEY_B64_LEN + 1], err[512];

	if (argc != 2)
		return cli_usage(&cmd_pubkey);
	if (key_load_file(argv[1], &k, err, sizeof(err)) == -1) {
		fprintf(stderr, "vmgw: %s\n", err);
		return VMGW_EXIT_FAIL;
	}
	key_to_base64(b64, k.pub);
	key_free(&k);
	printf("%s\n", b64);
	return 0;
}

const struct cli_cmd cmd_pubkey = {
	.name = "pubkey",
	.args = "FILE",
	.summary = "print the public key of private key FILE",
	.help = "FILE must have mode 0600 and hold one base64 key.\n",
	.exec = pubkey_exec,
};
