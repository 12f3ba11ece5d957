package traffic_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/gitops/traffic"
)

func TestExternalDNS(t *testing.T) {
	files := map[string]traffic.File{
		"gke-eu-1": {Name: "apps/web/overlays/gke-eu-1/service-patch.yaml", Data: []byte(`apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    external-dns.alpha.kubernetes.io/hostname: web.example.com
    external-dns.alpha.kubernetes.io/set-identifier: web-gke-eu-1
    external-dns.alpha.kubernetes.io/aws-weight: "100"
`)},
		"gke-eu-2": {Name: "apps/web/overlays/gke-eu-2/dnsendpoint.yaml", Data: []byte(`apiVersion: externaldns.k8s.io/v1alpha1
kind: DNSEndpoint
metadata:
  name: web
spec:
  endpoints:
  - dnsName: web.example.com
    recordType: CNAME
    setIdentifier: web-gke-eu-2
    targets: [lb.eu-2.example.com]
    providerSpecific:
    - name: aws/weight
      value: "0"
`)},
	}
	e := traffic.ExternalDNS{Backend: backend("web")}
	got, err := e.Read(files)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(traffic.Weights{"gke-eu-1": 100, "gke-eu-2": 0}, got); diff != "" {
		t.Errorf("Read() mismatch (-want +got):\n%s", diff)
	}
	changed, results, err := e.Set(files, traffic.Weights{"gke-eu-1": 90, "gke-eu-2": 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 2 || len(results) != 2 {
		t.Fatalf("Set() changed %d files with %d results, want 2 and 2", len(changed), len(results))
	}
	if diff := cmp.Diff([]string{`    external-dns.alpha.kubernetes.io/aws-weight: "90"`}, changedLines(string(files["gke-eu-1"].Data), string(changed["gke-eu-1"].Data))); diff != "" {
		t.Errorf("Set() gke-eu-1 lines mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`      value: "10"`}, changedLines(string(files["gke-eu-2"].Data), string(changed["gke-eu-2"].Data))); diff != "" {
		t.Errorf("Set() gke-eu-2 lines mismatch (-want +got):\n%s", diff)
	}
}
