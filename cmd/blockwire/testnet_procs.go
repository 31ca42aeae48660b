package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/blockwire/blockwire/node"
)

// proc is one node process of a local testnet.
type proc struct {
	info   node.NetworkNode
	cmd    *exec.Cmd
	exited chan error // receives the process's exit once
	client *adminClient
}

// startProc runs `blockwire run --config` for a node, with the process's
// stderr in the node's directory (the node writes its JSON log itself).
func startProc(self string, n node.NetworkNode) (*proc, error) {
	return startProcWith(exec.Command(self, "run", "--config", n.ConfigFile), n)
}

// startProcWith starts cmd (a node's run command, perhaps wrapped) as
// node n's process.
func startProcWith(cmd *exec.Cmd, n node.NetworkNode) (*proc, error) {
	errLog, err := os.OpenFile(filepath.Join(n.Dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = errLog, errLog
	// Its own process group: a terminal's Ctrl-C reaches the testnet
	// command only, which then stops every node in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = errLog.Close() // the start error is the one to report
		return nil, fmt.Errorf("starting %s: %w", n.Name, err)
	}
	p := &proc{info: n, cmd: cmd, exited: make(chan error, 1), client: newAdminClient(n.AdminAddr, 2*time.Second)}
	if err := os.WriteFile(filepath.Join(n.Dir, "pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return nil, err
	}
	go func() {
		p.exited <- cmd.Wait()
		_ = errLog.Close() // the child wrote to it; nothing is buffered here
	}()
	return p, nil
}

// waitHealthy polls /healthz until the node answers, it exits, or ctx ends.
func (p *proc) waitHealthy(ctx context.Context) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := p.client.do(ctx, "GET", "/healthz", nil, nil, nil); err == nil {
			return nil
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			return fmt.Errorf("%s exited during start; see %s: %w", p.info.Name, filepath.Join(p.info.Dir, "stderr.log"), err)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on %s: %w", p.info.Name, p.info.AdminAddr, ctx.Err())
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM (the node hands leadership over and closes its
// database) and SIGKILLs it if it has not exited within grace.
func (p *proc) stop(grace time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-p.exited:
		p.exited <- err
		return nil
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within %v; killed", p.info.Name, grace)
	}
}

// kill SIGKILLs the node, as a crash would.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	err := <-p.exited
	p.exited <- err
}
