#!/usr/bin/env bash
# Records local-rekor.json: real responses of a real Rekor v1.5.4 (scripts/services/rekor.sh) for the
# offline unit tests and the benchmark. Run: eval "$(scripts/services/rekor.sh start)"; bash collectors/rekor/testdata/record.sh
# What it does: uploads N hashedrekord entries with rekor-cli (half signed with a bare ECDSA key,
# half with a self-signed certificate that carries Fulcio-style 1.3.6.1.4.1.57264.1.* extensions),
# records GET /api/v1/log after the first half and at the end, the consistency proof between them,
# and every entry via POST /api/v1/log/entries/retrieve. The log's throw-away signing key (made by
# rekor.sh for that one run) is kept too, so tests can forge correctly signed forks.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=${N:-12}
URL=${CHAINWATCH_TEST_REKOR_URL:?start scripts/services/rekor.sh first}
CLI=${CHAINWATCH_TEST_REKOR_CLI:?}
RUN="${CHAINWATCH_RUN:-/tmp/chainwatch-run}/rekor"
T=$(mktemp -d)
openssl ecparam -name prime256v1 -genkey -noout -out "$T/key.pem"
openssl ec -in "$T/key.pem" -pubout -out "$T/key.pub" 2>/dev/null
openssl req -x509 -new -key "$T/key.pem" -days 1 -subj "/O=sigstore.dev" -out "$T/cert.pem" \
  -addext "subjectAltName=URI:https://github.com/chainwatch/demo/.github/workflows/release.yml@refs/heads/main" \
  -addext "1.3.6.1.4.1.57264.1.1=DER:$(printf 'https://token.actions.githubusercontent.com' | od -An -tx1 | tr -d ' \n')" \
  -addext "1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://token.actions.githubusercontent.com" \
  -addext "1.3.6.1.4.1.57264.1.9=ASN1:UTF8String:https://github.com/chainwatch/demo/.github/workflows/release.yml@refs/heads/main" \
  -addext "1.3.6.1.4.1.57264.1.11=ASN1:UTF8String:github-hosted" \
  -addext "1.3.6.1.4.1.57264.1.12=ASN1:UTF8String:https://github.com/chainwatch/demo" \
  -addext "1.3.6.1.4.1.57264.1.13=ASN1:UTF8String:0123456789abcdef0123456789abcdef01234567" \
  -addext "1.3.6.1.4.1.57264.1.14=ASN1:UTF8String:refs/heads/main" \
  -addext "1.3.6.1.4.1.57264.1.20=ASN1:UTF8String:push" \
  -addext "1.3.6.1.4.1.57264.1.21=ASN1:UTF8String:https://github.com/chainwatch/demo/actions/runs/1/attempts/1"
upload() {
  local i=$1 pub=$2
  echo "artifact $i $(date +%s%N)" > "$T/a$i"
  openssl dgst -sha256 -sign "$T/key.pem" -out "$T/a$i.sig" "$T/a$i"
  "$CLI" upload --rekor_server "$URL" --type hashedrekord --pki-format x509 --artifact "$T/a$i" \
    --signature "$T/a$i.sig" --public-key "$pub" >&2
}
half=$((N / 2))
for i in $(seq 0 $((half - 1))); do upload "$i" "$T/key.pub"; done
sleep 1; curl -fsS "$URL/api/v1/log" > "$T/head1.json"
for i in $(seq "$half" $((N - 1))); do upload "$i" "$T/cert.pem"; done
sleep 1; curl -fsS "$URL/api/v1/log" > "$T/head2.json"
s1=$(jq .treeSize "$T/head1.json"); s2=$(jq .treeSize "$T/head2.json"); tid=$(jq -r .treeID "$T/head2.json")
curl -fsS "$URL/api/v1/log/proof?firstSize=$s1&lastSize=$s2&treeID=$tid" > "$T/proof.json"
: > "$T/entries.jsonl"
for ((i = 0; i < s2; i += 10)); do
  idx=$(seq -s, "$i" $((i + 9 < s2 - 1 ? i + 9 : s2 - 1)))
  curl -fsS -X POST -H 'content-type: application/json' -d "{\"logIndexes\":[$idx]}" "$URL/api/v1/log/entries/retrieve" | jq -c '.[]' >> "$T/entries.jsonl"
done
jq -n --rawfile pub "$RUN/signer.pub.pem" --rawfile priv "$RUN/signer.key" \
  --slurpfile h1 "$T/head1.json" --slurpfile h2 "$T/head2.json" --slurpfile p "$T/proof.json" \
  --slurpfile e "$T/entries.jsonl" --arg at "$(date -u +%FT%TZ)" \
  '{recordedAt: $at, rekorVersion: "v1.5.4", publicKey: $pub, testOnlySignerKey: $priv, heads: [$h1[0], $h2[0]], proof: $p[0], entries: $e}' \
  > "$HERE/local-rekor.json"
rm -rf "$T"
echo "wrote $HERE/local-rekor.json ($s2 entries)" >&2
