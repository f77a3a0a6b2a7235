// ct-fill queues N distinct certificates straight into the Trillian tree behind the local ct_server
// (scripts/services/ctlog.sh fill N), for the CT bench's 200,000-entry backlog. add-chain through
// ct_server costs a chain verification, an SCT signature and one QueueLeaf per certificate, with the
// certificate made and POSTed by Node (~100/s on the shared machine); here Go makes the
// certificates and many QueueLeaf calls are in flight, which is what bounds the fill: MariaDB.
//
// Each leaf is exactly what ct_server's add-chain would queue (util.BuildLogLeaf, the code
// ct_server itself calls): an RFC 6962 MerkleTreeLeaf of an x509 entry, and as extra data the chain
// [intermediate, root] of the log's per-run test CA, so certspotter and chainwatch read and audit
// these entries like any other. Every certificate has its own serial, name and key usage, so
// Trillian's identity-hash dedup (SHA-256 of the certificate) keeps all of them.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	ct "github.com/google/certificate-transparency-go"
	"github.com/google/certificate-transparency-go/trillian/util"
	"github.com/google/trillian"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func readPEM(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		log.Fatalf("%s: no PEM block", path)
	}
	return blk.Bytes
}

func main() {
	rpc := flag.String("rpc", "", "Trillian log server gRPC address")
	tree := flag.Int64("tree", 0, "Trillian tree id (ct_server's log_id)")
	caDir := flag.String("ca", "", "test CA directory (int.pem, int.key, root.pem)")
	n := flag.Int("n", 0, "certificates to queue")
	inFlight := flag.Int("inflight", 64, "QueueLeaf calls in flight")
	tag := flag.String("tag", fmt.Sprint(time.Now().UnixNano()), "name tag (distinct per fill)")
	flag.Parse()
	if *rpc == "" || *tree == 0 || *caDir == "" || *n <= 0 {
		log.Fatal("usage: ct-fill -rpc HOST:PORT -tree ID -ca DIR -n N [-inflight 64]")
	}
	intDer, rootDer := readPEM(filepath.Join(*caDir, "int.pem")), readPEM(filepath.Join(*caDir, "root.pem"))
	intCert, err := x509.ParseCertificate(intDer)
	if err != nil {
		log.Fatal(err)
	}
	keyDer := readPEM(filepath.Join(*caDir, "int.key"))
	var signer any
	if signer, err = x509.ParsePKCS8PrivateKey(keyDer); err != nil {
		if signer, err = x509.ParseECPrivateKey(keyDer); err != nil {
			log.Fatal(err)
		}
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	conn, err := grpc.NewClient(*rpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := trillian.NewTrillianLogClient(conn)
	chain := []ct.ASN1Cert{{Data: intDer}, {Data: rootDer}}
	now := time.Now()

	var next, done, dups atomic.Int64
	started := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *inFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(*n) {
					return
				}
				serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
				name := fmt.Sprintf("fill-%s-%d.load.test", *tag, i)
				tmpl := &x509.Certificate{
					SerialNumber:          serial.Add(serial, big.NewInt(1)),
					Subject:               pkix.Name{CommonName: name},
					NotBefore:             now.Add(-time.Hour),
					NotAfter:              now.Add(30 * 24 * time.Hour),
					KeyUsage:              x509.KeyUsageDigitalSignature,
					ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
					BasicConstraintsValid: true,
					DNSNames:              []string{name},
				}
				der, err := x509.CreateCertificate(rand.Reader, tmpl, intCert, &leafKey.PublicKey, signer)
				if err != nil {
					log.Fatal(err)
				}
				cert := ct.ASN1Cert{Data: der}
				leaf := ct.MerkleTreeLeaf{
					Version:  ct.V1,
					LeafType: ct.TimestampedEntryLeafType,
					TimestampedEntry: &ct.TimestampedEntry{
						Timestamp: uint64(time.Now().UnixMilli()),
						EntryType: ct.X509LogEntryType,
						X509Entry: &cert,
					},
				}
				ll, err := util.BuildLogLeaf("ct-fill", leaf, 0, cert, chain, false)
				if err != nil {
					log.Fatal(err)
				}
				var resp *trillian.QueueLeafResponse
				for attempt := 0; ; attempt++ {
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					resp, err = client.QueueLeaf(ctx, &trillian.QueueLeafRequest{LogId: *tree, Leaf: ll})
					cancel()
					if err == nil {
						break
					}
					if attempt == 5 {
						log.Fatalf("QueueLeaf: %v", err)
					}
					time.Sleep(time.Duration(200<<attempt) * time.Millisecond)
				}
				if resp.GetQueuedLeaf().GetStatus().GetCode() != 0 {
					dups.Add(1) // ALREADY_EXISTS: must not happen with distinct certificates
				}
				if d := done.Add(1); d%20000 == 0 {
					fmt.Fprintf(os.Stderr, "ct-fill: queued %d/%d (%.0f/s)\n", d, *n, float64(d)/time.Since(started).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	secs := time.Since(started).Seconds()
	fmt.Fprintf(os.Stderr, "ct-fill: queued %d leaves in %.1f s (%.0f/s, %d in flight), %d duplicates\n", done.Load(), secs, float64(done.Load())/secs, *inFlight, dups.Load())
	if dups.Load() > 0 {
		os.Exit(1)
	}
}
