// Package synth makes large, deterministic inputs for benchmarks: one NetBox release among many unrelated
// objects of the kinds a platform repository holds (Deployments, Services, ConfigMaps, Secrets, Ingresses).
package synth

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
	"strings"
)

// Write writes the release's documents among n unrelated objects, as a YAML stream or a KRM ResourceList.
func Write(out io.Writer, release []byte, n int, resourceList bool) error {
	var docs []string
	for _, d := range strings.Split(string(release), "\n---\n")[1:] {
		docs = append(docs, strings.TrimSpace(d)+"\n")
	}
	rng := rand.New(rand.NewSource(1))
	var others []string
	for i := 0; i < n; i++ {
		others = append(others, object(rng, i))
	}
	// The release sits in the middle, as it would in a real repository.
	mid := len(others) / 2
	all := append(append(append([]string{}, others[:mid]...), docs...), others[mid:]...)

	w := bufio.NewWriterSize(out, 1<<20)
	if resourceList {
		fmt.Fprintln(w, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:")
		for _, d := range all {
			d = stripComments(d)
			fmt.Fprintln(w, "- "+strings.ReplaceAll(strings.TrimRight(d, "\n"), "\n", "\n  "))
		}
		fmt.Fprintln(w, "functionConfig:\n  apiVersion: fn.netbox-sso.dev/v1alpha1\n  kind: NetBoxSSO\n  spec:\n    provider:\n      type: oidc\n      issuerURL: https://sso.example.com/realms/acme\n      clientID: netbox\n      clientSecretRef: {name: netbox-oidc, key: client-secret}")
	} else {
		for i, d := range all {
			if i > 0 {
				fmt.Fprintln(w, "---")
			}
			fmt.Fprint(w, d)
		}
	}
	return w.Flush()
}

func stripComments(d string) string {
	var out []string
	for _, l := range strings.Split(d, "\n") {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

var teams = []string{"payments", "search", "identity", "billing", "ledger", "catalog", "ingest", "metrics"}

func object(rng *rand.Rand, i int) string {
	team := teams[rng.Intn(len(teams))]
	name := fmt.Sprintf("%s-svc-%d", team, i)
	ns := team
	header := fmt.Sprintf("# Source: platform/templates/%s.yaml\n", name)
	labels := fmt.Sprintf("    app.kubernetes.io/instance: %s\n    app.kubernetes.io/name: %s\n    app.kubernetes.io/component: api\n    app.kubernetes.io/managed-by: Helm\n    team: %s\n", name, team+"-api", team)
	switch i % 6 {
	case 0, 1:
		var env strings.Builder
		for e := 0; e < 16+rng.Intn(24); e++ {
			fmt.Fprintf(&env, "        - name: %s_SETTING_%d\n          value: \"%d\"\n", strings.ToUpper(team), e, rng.Intn(100000))
		}
		return header + fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: %[2]s
  labels:
%[3]sspec:
  replicas: %[4]d
  selector:
    matchLabels:
      app.kubernetes.io/instance: %[1]s
  template:
    metadata:
      annotations:
        checksum/config: %[5]x
      labels:
%[6]s    spec:
      serviceAccountName: %[1]s
      containers:
      - name: api
        image: registry.example.com/%[2]s/api:1.%[4]d.%[7]d
        args: ["--port=8080", "--log-level=info"]
        ports:
        - name: http
          containerPort: 8080
        env:
%[8]s        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 500m, memory: 512Mi}
        volumeMounts:
        - name: config
          mountPath: /etc/%[2]s
          readOnly: true
      volumes:
      - name: config
        configMap:
          name: %[1]s-config
`, name, ns, labels, 1+rng.Intn(5), rng.Int63(), indent(labels, 4), rng.Intn(30), env.String())
	case 2:
		return header + fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n%sspec:\n  type: ClusterIP\n  ports:\n  - name: http\n    port: 80\n    targetPort: http\n  selector:\n    app.kubernetes.io/instance: %s\n", name, ns, labels, name)
	case 3:
		var data strings.Builder
		for k := 0; k < 3+rng.Intn(4); k++ {
			fmt.Fprintf(&data, "  setting-%d.conf: |\n", k)
			for l := 0; l < 16+rng.Intn(24); l++ {
				fmt.Fprintf(&data, "    key_%d = value-%d-%x\n", l, l, rng.Int63())
			}
		}
		return header + fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-config\n  namespace: %s\n  labels:\n%sdata:\n%s", name, ns, labels, data.String())
	case 4:
		return header + fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s-credentials\n  namespace: %s\n  labels:\n%stype: Opaque\ndata:\n  username: %s\n  password: %x\n", name, ns, labels, "YXBp", rng.Int63())
	default:
		return header + fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n%s  annotations:\n    cert-manager.io/cluster-issuer: letsencrypt\nspec:\n  ingressClassName: nginx\n  rules:\n  - host: %s.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: %s\n            port:\n              name: http\n", name, ns, labels, name, name)
	}
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n") + "\n"
}
