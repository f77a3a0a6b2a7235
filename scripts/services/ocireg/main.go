// The OCI registry integration tests talk to: go-containerregistry's in-memory registry
// (pkg/registry), with or without the OCI 1.1 referrers API. Built by ocireg.sh.
//
//	ocireg ADDR [-no-referrers]
//
// Without referrers support it answers GET /v2/<repo>/referrers/<digest> with 404, which is
// how a registry without the API looks to a client (the tag-schema fallback path).
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: ocireg ADDR [-no-referrers]")
	}
	referrers := !(len(os.Args) > 2 && os.Args[2] == "-no-referrers")
	log.Printf("ocireg on %s, referrers API %v", os.Args[1], referrers)
	log.Fatal(http.ListenAndServe(os.Args[1], registry.New(registry.WithReferrersSupport(referrers))))
}
