#!/bin/sh
# A scorer for the tests, by REINVENT's convention: reads SMILES on stdin, one a line, and
# writes one number a line, here the length of each SMILES (so a longer SMILES ranks higher).
exec awk '{ print length($0) }'
