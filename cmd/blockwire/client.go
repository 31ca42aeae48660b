package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// adminClient talks to a node's admin API.
type adminClient struct {
	base string
	http *http.Client
	// token, when set, is sent as "Authorization: Bearer <token>" (a node
	// whose admin API is not on loopback asks for it on mutating routes).
	token string
}

func newAdminClient(addr string, timeout time.Duration) *adminClient {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return &adminClient{base: strings.TrimRight(addr, "/"), http: &http.Client{Timeout: timeout}}
}

// apiError is an error response from the admin API.
type apiError struct {
	Status int
	Reason string `json:"reason"`
	Msg    string `json:"error"`
	// Hash, Outcome and Advice come with a failed submit (admin.SubmitError).
	Hash    string `json:"hash"`
	Outcome string `json:"outcome"`
	Advice  string `json:"advice"`
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("node answered %d %s: %s", e.Status, e.Reason, e.Msg)
	if e.Hash != "" {
		msg += fmt.Sprintf("\n  tx %s, outcome %s: %s", e.Hash, e.Outcome, e.Advice)
	}
	return msg
}

// do sends a request and decodes a JSON answer into out (unless nil). raw,
// if not nil, receives the body as sent.
func (c *adminClient) do(ctx context.Context, method, path string, body any, out any, raw *[]byte) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the node's admin API at %s: %w", c.base, unwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }() // read side: the body was read or is abandoned
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Msg == "" {
			e.Msg = strings.TrimSpace(string(data))
		}
		return e
	}
	if raw != nil {
		*raw = data
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decoding %s answer: %w", path, err)
		}
	}
	return nil
}

func unwrapURLError(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
