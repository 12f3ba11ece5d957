package traffic_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferry-dev/ferry/gitops/traffic"
)

const flaggerCanary = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: prod
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  service:
    port: 9898
  analysis:
    stepWeight: 5
`

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      affinity:
        podAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm: {topologyKey: topology.kubernetes.io/zone}
`

func TestDetectOwner(t *testing.T) {
	tests := []struct {
		name  string
		files map[string][]byte
		want  *traffic.OwnedError // nil: no owner
	}{
		{"flagger canary", map[string][]byte{
			"apps/podinfo/deployment.yaml": []byte(deployment),
			"apps/podinfo/canary.yaml":     []byte(flaggerCanary),
		}, &traffic.OwnedError{File: "apps/podinfo/canary.yaml", Line: 1, Controller: traffic.Flagger, Object: "Canary/podinfo"}},
		{"rollout with traffic routing", map[string][]byte{"apps/web/rollout.yaml": []byte(`# the web rollout
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  strategy:
    canary:
      trafficRouting:
        plugins:
          argoproj-labs/gatewayAPI:
            httpRoute: web
      steps:
      - setWeight: 10
`)}, &traffic.OwnedError{File: "apps/web/rollout.yaml", Line: 6, Controller: traffic.ArgoRollouts, Object: "Rollout/web"}},
		{"rollout blue-green", map[string][]byte{"r.yaml": []byte("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  strategy:\n    blueGreen: {activeService: web}\n")},
			&traffic.OwnedError{File: "r.yaml", Line: 1, Controller: traffic.ArgoRollouts, Object: "Rollout/web"}},
		{"helm template of a blue-green rollout", map[string][]byte{"templates/rollout.yaml": []byte(`apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: {{ template "app.fullname" . }}
spec:
  replicas: {{ .Values.replicaCount }}
  strategy:
    blueGreen:
      activeService: {{ template "app.fullname" . }}
  template:
    spec:
      containers:
        - name: app
          resources:
{{ toYaml .Values.resources | indent 12 }}
`)}, &traffic.OwnedError{File: "templates/rollout.yaml", Line: 1, Controller: traffic.ArgoRollouts, Object: `Rollout/{{ template "app.fullname" . }}`}},
		{"rollout canary by replicas only", map[string][]byte{"r.yaml": []byte("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  strategy:\n    canary:\n      steps: [{setWeight: 20}]\n")}, nil},
		{"plain deployment", map[string][]byte{"d.yaml": []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")}, nil},
		{"deployment with affinity weight", map[string][]byte{"d.yaml": []byte(deployment)}, nil},
		{"not yaml and no controller", map[string][]byte{"t.yaml": []byte("kind: ConfigMap\ndata: {{ .Values.x }\n")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := traffic.DetectOwner(tt.files)
			var got *traffic.OwnedError
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("DetectOwner() = %v, want an *OwnedError or nil", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DetectOwner() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouteOwner(t *testing.T) {
	r := traffic.Route{Kind: "HTTPRoute", Backend: backend("web")}
	err := r.Owner("traffic/web.yaml", []byte(httpRoute), map[string][]byte{"apps/podinfo/canary.yaml": []byte(flaggerCanary)})
	want := "traffic/web.yaml: weights of HTTPRoute/web are managed at runtime by Flagger (Canary podinfo in apps/podinfo/canary.yaml:1); ferry does not shift them"
	var oe *traffic.OwnedError
	if !errors.As(err, &oe) || err.Error() != want {
		t.Errorf("Owner() = %v, want %q", err, want)
	}
	if err := r.Owner("traffic/web.yaml", []byte(httpRoute), map[string][]byte{"d.yaml": []byte(deployment)}); err != nil {
		t.Errorf("Owner() = %v, want nil", err)
	}
}
