package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// k8sDir holds the Kubernetes manifests.
const k8sDir = "k8s"

// object is the part of a Kubernetes object the checks read. Unknown
// fields are ignored.
type object struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       objectSpec `yaml:"spec"`

	file string // manifest file, for messages
}

type objectMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// objectSpec is the union of the Service, StatefulSet and Deployment specs
// the manifests use.
type objectSpec struct {
	// Service
	Type      string        `yaml:"type"`
	ClusterIP string        `yaml:"clusterIP"`
	Ports     []servicePort `yaml:"ports"`
	// StatefulSet, Deployment
	Replicas             *int        `yaml:"replicas"`
	ServiceName          string      `yaml:"serviceName"`
	Template             podTemplate `yaml:"template"`
	VolumeClaimTemplates []struct {
		Metadata objectMeta `yaml:"metadata"`
	} `yaml:"volumeClaimTemplates"`
	// The selector is a label map in a Service and {matchLabels: ...} in
	// a workload.
	RawSelector any `yaml:"selector"`
}

type servicePort struct {
	Name       string `yaml:"name"`
	Port       int    `yaml:"port"`
	TargetPort any    `yaml:"targetPort"`
}

type podTemplate struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		SecurityContext struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
			RunAsUser    *int  `yaml:"runAsUser"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []volume    `yaml:"volumes"`
	} `yaml:"spec"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	StartupProbe   *probe `yaml:"startupProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]any `yaml:"requests"`
		Limits   map[string]any `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	TimeoutSeconds int `yaml:"timeoutSeconds"`
	Exec           *struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
	GRPC *struct {
		Port int `yaml:"port"`
	} `yaml:"grpc"`
	TCPSocket *struct {
		Port any `yaml:"port"`
	} `yaml:"tcpSocket"`
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type volume struct {
	Name   string `yaml:"name"`
	Secret *struct {
		SecretName string `yaml:"secretName"`
		Items      []struct {
			Key  string `yaml:"key"`
			Path string `yaml:"path"`
		} `yaml:"items"`
	} `yaml:"secret"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
}

// kustomization is the part of kustomization.yaml the checks read.
type kustomization struct {
	APIVersion      string   `yaml:"apiVersion"`
	Kind            string   `yaml:"kind"`
	Namespace       string   `yaml:"namespace"`
	Resources       []string `yaml:"resources"`
	SecretGenerator []struct {
		Name  string   `yaml:"name"`
		Files []string `yaml:"files"`
	} `yaml:"secretGenerator"`
}

// knownKinds are the apiVersion/kind pairs the manifests may use.
var knownKinds = map[string]bool{
	"v1/Namespace":        true,
	"v1/Service":          true,
	"v1/Secret":           true,
	"v1/ConfigMap":        true,
	"apps/v1/StatefulSet": true,
	"apps/v1/Deployment":  true,
}

// cluster is what the manifests and the kustomization define.
type cluster struct {
	objects  []*object
	services map[string]*object
	secrets  map[string][]string // name → keys (secretGenerator)
	kust     kustomization
}

// loadCluster parses every manifest of dir and its kustomization.yaml.
func loadCluster(dir string) (*cluster, error) {
	c := &cluster{services: map[string]*object{}, secrets: map[string][]string{}}
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(raw, &c.kust); err != nil {
		return nil, fmt.Errorf("kustomization.yaml: %w", err)
	}
	for _, g := range c.kust.SecretGenerator {
		for _, f := range g.Files {
			key, _, ok := strings.Cut(f, "=")
			if !ok {
				key = filepath.Base(f)
			}
			c.secrets[g.Name] = append(c.secrets[g.Name], key)
		}
	}
	for _, res := range c.kust.Resources {
		objs, err := parseManifest(filepath.Join(dir, res))
		if err != nil {
			return nil, err
		}
		c.objects = append(c.objects, objs...)
	}
	for _, o := range c.objects {
		switch o.Kind {
		case "Service":
			c.services[o.Metadata.Name] = o
		case "Secret":
			c.secrets[o.Metadata.Name] = nil
		}
	}
	return c, nil
}

// parseManifest decodes every document of a YAML file.
func parseManifest(path string) ([]*object, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var out []*object
	for i := 1; ; i++ {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", path, i, err)
		}
		if o.Kind == "" && o.APIVersion == "" {
			continue // an empty document
		}
		o.file = filepath.Base(path)
		out = append(out, &o)
	}
}

// labels returns a selector as a label map: a Service's selector, or a
// workload's selector.matchLabels.
func selectorLabels(raw any) map[string]string {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil
	}
	if ml, ok := m["matchLabels"].(map[string]any); ok {
		m = ml
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// matches reports whether labels has every key/value of selector.
func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestKustomization(t *testing.T) {
	c, err := loadCluster(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	if c.kust.APIVersion != "kustomize.config.k8s.io/v1beta1" || c.kust.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: apiVersion %q kind %q, want kustomize.config.k8s.io/v1beta1 Kustomization", c.kust.APIVersion, c.kust.Kind)
	}
	// Every manifest is a resource of the kustomization.
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(c.kust.Resources, base) {
			t.Errorf("%s is not listed in kustomization.yaml's resources", base)
		}
	}
	// Generated secrets come from secrets/, which git ignores.
	ignore, err := os.ReadFile(filepath.Join(k8sDir, "secrets", ".gitignore"))
	if err != nil || !strings.Contains(string(ignore), "*") {
		t.Errorf("k8s/secrets/.gitignore must ignore the secret files (err %v)", err)
	}
	for _, g := range c.kust.SecretGenerator {
		for _, f := range g.Files {
			_, path, _ := strings.Cut(f, "=")
			if !strings.HasPrefix(path, "secrets/") {
				t.Errorf("secretGenerator %s: file %s is not under secrets/", g.Name, path)
			}
		}
	}
	var ns []string
	for _, o := range c.objects {
		if o.Kind == "Namespace" {
			ns = append(ns, o.Metadata.Name)
		}
	}
	if c.kust.Namespace != "" && len(ns) > 0 && !slices.Contains(ns, c.kust.Namespace) {
		t.Errorf("kustomization namespace %q is not a Namespace of the manifests %v", c.kust.Namespace, ns)
	}
}

func TestManifests(t *testing.T) {
	c, err := loadCluster(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.objects) == 0 {
		t.Fatal("no objects in the manifests")
	}
	seen := map[string]bool{}
	var pods []*object // workloads
	for _, o := range c.objects {
		id := o.Kind + "/" + o.Metadata.Name
		if !knownKinds[o.APIVersion+"/"+o.Kind] {
			t.Errorf("%s: %s: unknown apiVersion/kind %s/%s", o.file, id, o.APIVersion, o.Kind)
		}
		if o.Metadata.Name == "" {
			t.Errorf("%s: a %s without metadata.name", o.file, o.Kind)
		}
		if seen[id] {
			t.Errorf("%s: %s defined twice", o.file, id)
		}
		seen[id] = true
		if o.Kind == "StatefulSet" || o.Kind == "Deployment" {
			pods = append(pods, o)
		}
	}
	for _, w := range pods {
		t.Run(w.Kind+"/"+w.Metadata.Name, func(t *testing.T) { checkWorkload(t, c, w) })
	}
	for _, s := range c.services {
		t.Run("Service/"+s.Metadata.Name, func(t *testing.T) { checkService(t, pods, s) })
	}
}

// checkService checks that a Service selects some pods and that its ports
// target ports of their containers.
func checkService(t *testing.T, pods []*object, s *object) {
	sel := selectorLabels(s.Spec.RawSelector)
	var selected []*object
	for _, w := range pods {
		if matches(sel, w.Spec.Template.Metadata.Labels) {
			selected = append(selected, w)
		}
	}
	if len(selected) == 0 {
		t.Fatalf("%s: selector %v matches no pod template", s.file, sel)
	}
	if len(s.Spec.Ports) == 0 {
		t.Errorf("%s: no ports", s.file)
	}
	for _, p := range s.Spec.Ports {
		target := fmt.Sprint(p.TargetPort)
		if p.TargetPort == nil {
			target = strconv.Itoa(p.Port)
		}
		for _, w := range selected {
			if !hasContainerPort(w, target) {
				t.Errorf("%s: port %s targets %s, which no container of %s %s exposes", s.file, p.Name, target, w.Kind, w.Metadata.Name)
			}
		}
	}
}

// hasContainerPort reports whether a container of w exposes port (a name
// or a number).
func hasContainerPort(w *object, port string) bool {
	for _, c := range w.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == port || strconv.Itoa(p.ContainerPort) == port {
				return true
			}
		}
	}
	return false
}

// checkWorkload checks a StatefulSet or Deployment.
func checkWorkload(t *testing.T, c *cluster, w *object) {
	spec, pod := &w.Spec, &w.Spec.Template.Spec
	if sel := selectorLabels(spec.RawSelector); !matches(sel, spec.Template.Metadata.Labels) {
		t.Errorf("selector %v does not match the pod labels %v", sel, spec.Template.Metadata.Labels)
	}
	if w.Kind == "StatefulSet" {
		svc := c.services[spec.ServiceName]
		switch {
		case svc == nil:
			t.Errorf("serviceName %q: no such Service", spec.ServiceName)
		case svc.Spec.ClusterIP != "None":
			t.Errorf("serviceName %q: a StatefulSet's governing Service must be headless (clusterIP: None)", spec.ServiceName)
		}
		if spec.Replicas == nil || *spec.Replicas != 1 {
			t.Errorf("the coordinator must run exactly one replica (bbolt locks its database)")
		}
	}
	if sc := pod.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("pod securityContext: want runAsNonRoot: true and a non-zero runAsUser")
	}

	// Volumes: every Secret reference exists, with the keys it names.
	volumes := map[string]volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
		switch {
		case v.Secret != nil:
			keys, ok := c.secrets[v.Secret.SecretName]
			if !ok {
				t.Errorf("volume %s: Secret %q is neither generated nor defined", v.Name, v.Secret.SecretName)
			}
			for _, it := range v.Secret.Items {
				if keys != nil && !slices.Contains(keys, it.Key) {
					t.Errorf("volume %s: Secret %s has no key %q (keys %v)", v.Name, v.Secret.SecretName, it.Key, keys)
				}
			}
		case v.ConfigMap != nil:
			t.Errorf("volume %s: ConfigMap %q is not defined in the manifests", v.Name, v.ConfigMap.Name)
		case v.PersistentVolumeClaim != nil:
			t.Errorf("volume %s: PersistentVolumeClaim %q is not defined in the manifests", v.Name, v.PersistentVolumeClaim.ClaimName)
		}
	}
	claims := map[string]bool{}
	for _, vct := range spec.VolumeClaimTemplates {
		claims[vct.Metadata.Name] = true
	}

	for _, ct := range pod.Containers {
		// Mounts name volumes or claim templates; remember what each path holds.
		mounts := map[string]string{} // mount path → volume name
		for _, m := range ct.VolumeMounts {
			if _, ok := volumes[m.Name]; !ok && !claims[m.Name] {
				t.Errorf("container %s: volumeMount %s names no volume or volumeClaimTemplate", ct.Name, m.Name)
			}
			mounts[m.MountPath] = m.Name
		}
		fileIn := func(what, path string) {
			dir, base := filepath.Dir(path), filepath.Base(path)
			name, ok := mounts[dir]
			if !ok {
				t.Errorf("container %s: %s %s is not in a mounted volume (mounts %v)", ct.Name, what, path, mounts)
				return
			}
			v, isVol := volumes[name]
			if !isVol || v.Secret == nil {
				return // a claim: the file is made at run time
			}
			keys := c.secrets[v.Secret.SecretName]
			if len(v.Secret.Items) > 0 {
				keys = nil
				for _, it := range v.Secret.Items {
					keys = append(keys, it.Path)
				}
			}
			if !slices.Contains(keys, base) {
				t.Errorf("container %s: %s %s: volume %s (Secret %s) has no file %s (files %v)", ct.Name, what, path, name, v.Secret.SecretName, base, keys)
			}
		}
		for i, a := range ct.Args {
			if i > 0 && strings.HasPrefix(ct.Args[i-1], "--") && strings.HasPrefix(a, "/") {
				fileIn(ct.Args[i-1], a)
			}
		}

		ports := map[int]bool{}
		for _, p := range ct.Ports {
			ports[p.ContainerPort] = true
		}
		for name, p := range map[string]*probe{"startupProbe": ct.StartupProbe, "readinessProbe": ct.ReadinessProbe, "livenessProbe": ct.LivenessProbe} {
			if p == nil {
				continue
			}
			switch {
			case p.GRPC != nil:
				if !ports[p.GRPC.Port] {
					t.Errorf("container %s: %s: grpc port %d is not a container port", ct.Name, name, p.GRPC.Port)
				}
			case p.TCPSocket != nil:
				if !hasContainerPort(w, fmt.Sprint(p.TCPSocket.Port)) {
					t.Errorf("container %s: %s: tcpSocket port %v is not a container port", ct.Name, name, p.TCPSocket.Port)
				}
			case p.HTTPGet != nil:
				if !hasContainerPort(w, fmt.Sprint(p.HTTPGet.Port)) || p.HTTPGet.Path != "/metrics" {
					t.Errorf("container %s: %s: httpGet %s on port %v: want /metrics on a container port (pinnsweep serves no other HTTP path)",
						ct.Name, name, p.HTTPGet.Path, p.HTTPGet.Port)
				}
			case p.Exec != nil:
				checkHealthProbe(t, ct.Name+": "+name, p.Exec.Command, ports, fileIn)
			default:
				t.Errorf("container %s: %s has no handler", ct.Name, name)
			}
		}
		if len(ct.Ports) > 0 && (ct.ReadinessProbe == nil || ct.LivenessProbe == nil) {
			t.Errorf("container %s serves ports but lacks a readiness or liveness probe", ct.Name)
		}

		sc := ct.SecurityContext
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			!slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("container %s: want readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities.drop [ALL]", ct.Name)
		}
		checkPinnsweepArgs(t, c, ct)
	}
}

// healthProbeFlags are the flags of grpc_health_probe v0.4.62, the version
// the Dockerfile installs (from its -h).
var healthProbeFlags = []string{"-addr", "-alts", "-connect-timeout", "-gzip", "-rpc-header", "-rpc-timeout",
	"-service", "-spiffe", "-tls", "-tls-ca-cert", "-tls-client-cert", "-tls-client-key", "-tls-no-verify",
	"-tls-server-name", "-user-agent", "-v", "-version"}

// checkHealthProbe checks an exec probe running grpc_health_probe: its
// flags exist, its -addr port is a container port and its certificate
// files are mounted.
func checkHealthProbe(t *testing.T, what string, cmd []string, ports map[int]bool, fileIn func(what, path string)) {
	if len(cmd) == 0 || filepath.Base(cmd[0]) != "grpc_health_probe" {
		t.Errorf("%s: exec probe %v: want grpc_health_probe (the gRPC health service)", what, cmd)
		return
	}
	addr := false
	for _, a := range cmd[1:] {
		k, v, _ := strings.Cut(a, "=")
		if !slices.Contains(healthProbeFlags, k) {
			t.Errorf("%s: grpc_health_probe has no flag %s", what, k)
		}
		switch k {
		case "-addr":
			addr = true
			_, port, _ := strings.Cut(v, ":")
			if n, err := strconv.Atoi(port); err != nil || !ports[n] {
				t.Errorf("%s: -addr %s: port is not a container port", what, v)
			}
		case "-tls-ca-cert", "-tls-client-cert", "-tls-client-key":
			fileIn(k, v)
		}
	}
	if !addr {
		t.Errorf("%s: grpc_health_probe without -addr", what)
	}
}

// checkPinnsweepArgs checks the arguments of a pinnsweep container that
// refer to other objects: a worker's --slots is its CPU request, and its
// --coordinator is a Service's name and port.
func checkPinnsweepArgs(t *testing.T, c *cluster, ct container) {
	if len(ct.Args) == 0 || ct.Args[0] != "work" {
		return
	}
	for i := 1; i+1 < len(ct.Args); i++ {
		switch v := ct.Args[i+1]; ct.Args[i] {
		case "--slots":
			cpu := fmt.Sprint(ct.Resources.Requests["cpu"])
			if cpu != v {
				t.Errorf("container %s: --slots %s but requests.cpu %s: request one CPU per slot", ct.Name, v, cpu)
			}
			if lim, ok := ct.Resources.Limits["cpu"]; ok && fmt.Sprint(lim) != v {
				t.Errorf("container %s: --slots %s but limits.cpu %v", ct.Name, v, lim)
			}
		case "--coordinator":
			host, port, _ := strings.Cut(v, ":")
			svc := c.services[strings.Split(host, ".")[0]]
			if svc == nil {
				t.Errorf("container %s: --coordinator %s: no Service %s", ct.Name, v, host)
				continue
			}
			if !slices.ContainsFunc(svc.Spec.Ports, func(p servicePort) bool { return strconv.Itoa(p.Port) == port }) {
				t.Errorf("container %s: --coordinator %s: Service %s has no port %s", ct.Name, v, host, port)
			}
		}
	}
}

// TestKustomizeBuild renders the kustomization with kubectl (when
// installed), with placeholder secret files, and checks the result: every
// object is in the kustomization's namespace and every Secret volume names
// a generated Secret (kustomize appends a content hash to generated names
// and must rewrite the references).
func TestKustomizeBuild(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	c, err := loadCluster(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(k8sDir)); err != nil {
		t.Fatal(err)
	}
	for _, g := range c.kust.SecretGenerator {
		for _, f := range g.Files {
			_, path, _ := strings.Cut(f, "=")
			if err := os.WriteFile(filepath.Join(dir, path), []byte("placeholder"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, out)
	}
	rendered := filepath.Join(dir, "rendered.yaml")
	if err := os.WriteFile(rendered, out, 0o600); err != nil {
		t.Fatal(err)
	}
	objs, err := parseManifest(rendered)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]bool{}
	for _, o := range objs {
		if o.Kind == "Secret" {
			secrets[o.Metadata.Name] = true
		}
		if o.Kind != "Namespace" && o.Metadata.Namespace != c.kust.Namespace {
			t.Errorf("%s %s: namespace %q, want %q", o.Kind, o.Metadata.Name, o.Metadata.Namespace, c.kust.Namespace)
		}
	}
	if len(secrets) != len(c.kust.SecretGenerator) {
		t.Errorf("rendered Secrets %v, want one per secretGenerator entry (%d)", secrets, len(c.kust.SecretGenerator))
	}
	for _, o := range objs {
		for _, v := range o.Spec.Template.Spec.Volumes {
			if v.Secret != nil && !secrets[v.Secret.SecretName] {
				t.Errorf("%s %s: volume %s names Secret %q, which the build does not contain %v", o.Kind, o.Metadata.Name, v.Name, v.Secret.SecretName, secrets)
			}
		}
	}
}
