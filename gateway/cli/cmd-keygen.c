/*
 * cmd-keygen.c - `vmgw keygen FILE`: write a new X25519 private key (mode
 * 0600, never overwriting) and print its public key in base64, the value
 * for peers.<this site>.public_key in the other sites' configs.
 */
#include <stdio.h>

#include "cli.h"
#include "keys.h"

static int
keygen_exec(struct cli *cli, int argc, char **argv)
{
	struct vmgw_privkey	 k = { 0 };
	char			 b64[KEY_B64_LEN + 1], err[512];

	if (argc != 2)
		return cli_usage(&cmd_keygen);
	if (key_generate_file(argv[1], &k, err, sizeof(err)) == -1) {
		fprintf(stderr, "vmgw: %s\n", err);
		return VMGW_EXIT_FAIL;
	}
	key_to_base64(b64, k.pub);
	key_free(&k);
	printf("%s\n", b64);
	return 0;
}

const struct cli_cmd cmd_keygen = {
	.name = "keygen",
	.args = "FILE",
	.summary = "write a new private key to FILE, print its public key",
	.help = "Writes FILE with mode 0600 (never overwrites) and prints the "
	    "public key\nfor peers.SITE.public_key in the other sites' "
	    "configurations.\n",
	.exec = keygen_exec,
};
