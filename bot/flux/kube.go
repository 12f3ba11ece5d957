package flux

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// A Kubeconfig is the part of one or more kubeconfig files (kubectl's
// format) that ferry reads: clusters by server and CA, users by token or
// client certificate. As kubectl does, a name's first definition in the
// list of files wins, and relative paths are relative to the file that
// names them.
type Kubeconfig struct {
	CurrentContext string
	contexts       map[string]kubeContext
	clusters       map[string]kubeCluster
	users          map[string]kubeUser
	files          string // the files read, for errors
}

type kubeContext struct {
	Cluster string `json:"cluster"`
	User    string `json:"user"`
}

type kubeCluster struct {
	Server                   string `json:"server"`
	CertificateAuthority     string `json:"certificate-authority"`
	CertificateAuthorityData string `json:"certificate-authority-data"`
	InsecureSkipTLSVerify    bool   `json:"insecure-skip-tls-verify"`
	TLSServerName            string `json:"tls-server-name"`
}

type kubeUser struct {
	Token                 string          `json:"token"`
	TokenFile             string          `json:"tokenFile"`
	ClientCertificate     string          `json:"client-certificate"`
	ClientCertificateData string          `json:"client-certificate-data"`
	ClientKey             string          `json:"client-key"`
	ClientKeyData         string          `json:"client-key-data"`
	Exec                  json.RawMessage `json:"exec"`
	AuthProvider          json.RawMessage `json:"auth-provider"`
}

type kubeFile struct {
	CurrentContext string `json:"current-context"`
	Contexts       []struct {
		Name    string      `json:"name"`
		Context kubeContext `json:"context"`
	} `json:"contexts"`
	Clusters []struct {
		Name    string      `json:"name"`
		Cluster kubeCluster `json:"cluster"`
	} `json:"clusters"`
	Users []struct {
		Name string   `json:"name"`
		User kubeUser `json:"user"`
	} `json:"users"`
}

// LoadKubeconfig reads and merges the kubeconfig files named.
func LoadKubeconfig(paths ...string) (*Kubeconfig, error) {
	k := &Kubeconfig{contexts: map[string]kubeContext{}, clusters: map[string]kubeCluster{}, users: map[string]kubeUser{},
		files: strings.Join(paths, string(filepath.ListSeparator))}
	if len(paths) == 0 {
		return nil, errors.New("kubeconfig: no file named")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig: %w", err)
		}
		var f kubeFile
		if err := yaml.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", p, err)
		}
		dir := filepath.Dir(p)
		if k.CurrentContext == "" {
			k.CurrentContext = f.CurrentContext
		}
		for _, c := range f.Contexts {
			if _, ok := k.contexts[c.Name]; !ok {
				k.contexts[c.Name] = c.Context
			}
		}
		for _, c := range f.Clusters {
			if _, ok := k.clusters[c.Name]; !ok {
				c.Cluster.CertificateAuthority = relativeTo(dir, c.Cluster.CertificateAuthority)
				k.clusters[c.Name] = c.Cluster
			}
		}
		for _, u := range f.Users {
			if _, ok := k.users[u.Name]; !ok {
				u.User.TokenFile = relativeTo(dir, u.User.TokenFile)
				u.User.ClientCertificate = relativeTo(dir, u.User.ClientCertificate)
				u.User.ClientKey = relativeTo(dir, u.User.ClientKey)
				k.users[u.Name] = u.User
			}
		}
	}
	return k, nil
}

func relativeTo(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// HasContext reports whether the files define context name.
func (k *Kubeconfig) HasContext(name string) bool {
	_, ok := k.contexts[name]
	return ok
}

// Client returns a client of the API server of context name ("" for the
// current context).
func (k *Kubeconfig) Client(name string) (*Client, error) {
	if name == "" {
		name = k.CurrentContext
	}
	ctx, ok := k.contexts[name]
	if !ok {
		return nil, fmt.Errorf("kubeconfig %s: no context %q", k.files, name)
	}
	cl, ok := k.clusters[ctx.Cluster]
	if !ok || cl.Server == "" {
		return nil, fmt.Errorf("kubeconfig %s: context %q: no cluster %q with a server", k.files, name, ctx.Cluster)
	}
	u := k.users[ctx.User]
	if len(u.Exec) > 0 || len(u.AuthProvider) > 0 {
		return nil, fmt.Errorf("kubeconfig %s: user %q: credential plugins (exec, auth-provider) are not supported: give a token, a token file or a client certificate of a read-only account", k.files, ctx.User)
	}
	tlsc := &tls.Config{InsecureSkipVerify: cl.InsecureSkipTLSVerify, ServerName: cl.TLSServerName} //nolint:gosec // as the kubeconfig says
	if ca, err := fileOrData(cl.CertificateAuthority, cl.CertificateAuthorityData); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: cluster %q: certificate-authority: %w", k.files, ctx.Cluster, err)
	} else if ca != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("kubeconfig %s: cluster %q: certificate-authority holds no PEM certificate", k.files, ctx.Cluster)
		}
		tlsc.RootCAs = pool
	}
	cert, err := fileOrData(u.ClientCertificate, u.ClientCertificateData)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: user %q: client-certificate: %w", k.files, ctx.User, err)
	}
	key, err := fileOrData(u.ClientKey, u.ClientKeyData)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: user %q: client-key: %w", k.files, ctx.User, err)
	}
	if cert != nil || key != nil {
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: user %q: %w", k.files, ctx.User, err)
		}
		tlsc.Certificates = []tls.Certificate{pair}
	}
	token := u.Token
	if token == "" && u.TokenFile != "" {
		b, err := os.ReadFile(u.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: user %q: %w", k.files, ctx.User, err)
		}
		token = strings.TrimSpace(string(b))
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsc
	return &Client{Server: strings.TrimSuffix(cl.Server, "/"), Token: token,
		HTTP: &http.Client{Transport: tr, Timeout: 30 * time.Second}}, nil
}

// fileOrData returns the data given inline (base64) or read from file;
// nil when neither is set.
func fileOrData(file, data string) ([]byte, error) {
	if data != "" {
		return base64.StdEncoding.DecodeString(data)
	}
	if file == "" {
		return nil, nil
	}
	return os.ReadFile(file)
}

// Client makes read-only requests of a Kubernetes API server.
type Client struct {
	Server string // https://host:port
	Token  string // a bearer token; never in errors
	HTTP   *http.Client
}

// APIError is an answer other than 200 from the API server.
type APIError struct {
	Path    string
	Code    int
	Message string // the Status object's message, if any
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("kubernetes: GET %s: %d %s", e.Path, e.Code, http.StatusText(e.Code))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// IsNotFound reports whether err is the API server's 404.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == http.StatusNotFound
}

// Get reads the object or list at path (/api/v1/..., /apis/...) into v.
func (c *Client) Get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Server+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var st struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &st)
		return &APIError{Path: path, Code: resp.StatusCode, Message: st.Message}
	}
	return json.Unmarshal(body, v)
}
