#!/usr/bin/env bash
# bash test-ca.bash DIR (not a service: not a *.sh): a throwaway two-level test CA for the local CT logs (ctlog.sh, sunlight.sh), made
# with openssl: DIR/root.pem + root.key (self-signed, ECDSA P-256) and DIR/int.pem + int.key (an
# intermediate under it). The logs accept root.pem as their only root; tests issue leaves and
# precertificates from int.key (test/helpers/ct.ts) and submit them with add-chain / add-pre-chain.
set -euo pipefail
D=$1
mkdir -p "$D"
cd "$D"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem -days 3650 \
  -subj "/CN=Chainwatch Test Root CA/O=chainwatch-test" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr \
  -subj "/CN=Chainwatch Test Intermediate/O=chainwatch-test" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > int.ext
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem -days 1825 \
  -extfile int.ext 2>/dev/null
rm -f int.csr int.ext
