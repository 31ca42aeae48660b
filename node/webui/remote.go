package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/blockwire/blockwire/internal/netview"
)

// Target is one node of a Remote source.
type Target struct {
	// Name is shown until the node answers (and if it never does).
	Name string
	// Admin is the node's admin API address, host:port.
	Admin string
}

// Remote is the Source of a network's page (blockwire testnet): it asks
// every node's GET /ui/api/report, all at once, each bounded by Timeout.
type Remote struct {
	Targets []Target
	// Token is sent as a bearer token when set (nodes off loopback).
	Token string
	// Timeout bounds one node's answer (default 2 s).
	Timeout time.Duration
	Client  *http.Client

	mu  sync.Mutex
	ids map[string]string // target name → peer id once known
}

// maxReport bounds one node's report: a node with a few thousand peers.
const maxReport = 8 << 20

// Reports asks every target concurrently.
func (r *Remote) Reports(ctx context.Context) []netview.Report {
	out := make([]netview.Report, len(r.Targets))
	var wg sync.WaitGroup
	for i, t := range r.Targets {
		wg.Go(func() {
			rep, err := r.fetch(ctx, t)
			if err != nil {
				rep = netview.Report{Node: netview.Node{ID: r.id(t.Name), Name: t.Name, Down: true, Error: err.Error()}}
			} else {
				if rep.Node.Name == "" {
					rep.Node.Name = t.Name
				}
				r.learn(t.Name, rep.Node.ID)
			}
			out[i] = rep
		})
	}
	wg.Wait()
	return out
}

func (r *Remote) fetch(ctx context.Context, t Target) (netview.Report, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+t.Admin+"/ui/api/report", nil)
	if err != nil {
		return netview.Report{}, err
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	c := r.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return netview.Report{}, err
	}
	defer func() { _ = resp.Body.Close() }() // a read-only body: nothing to report
	if resp.StatusCode != http.StatusOK {
		return netview.Report{}, fmt.Errorf("%s: %s", t.Admin, resp.Status)
	}
	var rep netview.Report
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxReport)).Decode(&rep); err != nil {
		return netview.Report{}, fmt.Errorf("%s: report: %w", t.Admin, err)
	}
	return rep, nil
}

func (r *Remote) learn(name, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[string]string{}
	}
	r.ids[name] = id
}

func (r *Remote) id(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id := r.ids[name]; id != "" {
		return id
	}
	return name
}
