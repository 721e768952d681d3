#!/usr/bin/python3
"""Prints the canonical SMILES of a .cvds dataset, one per line, in row order (reads the
file layout of include/chemvae/data/dataset.h; used by tests/check-ingest.sh).
usage: cvds_smiles.py FILE.cvds"""
import struct, sys
b = open(sys.argv[1], 'rb').read()
h = struct.unpack('<8s6Q3QQ3d5Q5Q', b[:192])
magic, ver, n, T, V, P, idb = h[0], *h[1:7]
assert magic == b'CVDSET\0\0' and ver == 1, 'not a version-1 chemvae dataset'
vocab_bytes, names_bytes, smiles_bytes = h[-8], h[-7], h[-6]
pad = lambda x: (x + 7) & ~7
o = 192 + pad(vocab_bytes) + pad(names_bytes) + 2 * pad(4 * P) + pad(n * T * idb) + pad(4 * n) + pad(4 * n * P) + pad(n)
o += 8 * (n + 1)
sm = b[o:o + smiles_bytes].split(b'\0')[:-1]
assert len(sm) == n
sys.stdout.write('\n'.join(s.decode() for s in sm) + '\n')
