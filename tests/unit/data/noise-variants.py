#!/usr/bin/env python3
"""Write the Noise vector files shaped like other implementations publish
them, from the cacophony vectors in this directory (nothing is computed
here: every key, payload and ciphertext is cacophony's).

  noise-snow-style.json   {"vectors": [...]}, "protocol_name", no
                          handshake_hash, a resp_ephemeral for the one-way
                          patterns (whose responder has none) and a
                          resp_remote_static for IK (which sends it), as
                          snow's and noise-c's files carry them
  noise-c-style.json      {"vectors": [...]}, "name" plus "pattern", "dh",
                          "cipher", "hash" instead of protocol_name;
                          handshake_hash kept in some vectors only
  noise-bare-array.json   a top-level array, "name" for the protocol name

usage: tests/unit/data/noise-variants.py   (from anywhere)
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
src = json.load(open(os.path.join(HERE, "cacophony-25519.json")))
by_name = {v["protocol_name"]: v for v in src["vectors"]}


def pick(name):
    return json.loads(json.dumps(by_name[name]))   # a deep copy


def suite(name):
    return re.match(r"Noise_[A-Za-z0-9+]+_(.*)$", name).group(1)


def write(fname, data):
    with open(os.path.join(HERE, fname), "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


# snow-style: one-way patterns with the responder ephemeral of the NN vector
# of the same suite (never used: N, K and X responders send no e)
snow = []
for name in ["Noise_N_25519_ChaChaPoly_SHA256", "Noise_K_25519_ChaChaPoly_BLAKE2b",
             "Noise_X_25519_AESGCM_SHA512", "Noise_IK_25519_ChaChaPoly_BLAKE2b",
             "Noise_XXpsk3_25519_ChaChaPoly_SHA256",
             "Noise_IK_25519_AESGCM_SHA256"]:
    v = pick(name)
    del v["handshake_hash"]
    pattern = re.match(r"Noise_([A-Za-z0-9]+?)(psk\d.*)?_", name).group(1)
    if pattern in ("N", "K", "X"):
        v["resp_ephemeral"] = by_name["Noise_NN_" + suite(name)]["resp_ephemeral"]
    if pattern == "IK":
        # the responder learns the initiator's static from message 1
        v["resp_remote_static"] = by_name["Noise_KK_" + suite(name)]["resp_remote_static"]
    snow.append(v)
write("noise-snow-style.json", {"vectors": snow})

# noise-c-style: the protocol name split in its parts
noisec = []
for i, name in enumerate(["Noise_NN_25519_ChaChaPoly_SHA256", "Noise_XX_25519_AESGCM_BLAKE2b",
                          "Noise_N_25519_ChaChaPoly_SHA512", "Noise_X1X1_25519_ChaChaPoly_SHA256"]):
    v = pick(name)
    m = re.match(r"Noise_([A-Za-z0-9]+)_(25519)_([A-Za-z]+)_([A-Za-z0-9]+)$", name)
    out = {"name": name, "pattern": m.group(1), "dh": m.group(2),
           "cipher": m.group(3), "hash": m.group(4)}
    for k, val in v.items():
        if k == "protocol_name" or (k == "handshake_hash" and i % 2 == 1):
            continue
        out[k] = val
    if m.group(1) == "N":
        out["resp_ephemeral"] = by_name["Noise_NN_" + suite(name)]["resp_ephemeral"]
    noisec.append(out)
write("noise-c-style.json", {"vectors": noisec})

# a bare array, "name" for the protocol name
bare = []
for name in ["Noise_KN_25519_ChaChaPoly_SHA256", "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b"]:
    v = pick(name)
    v["name"] = v.pop("protocol_name")
    v.pop("handshake_hash")
    bare.append(v)
write("noise-bare-array.json", bare)
