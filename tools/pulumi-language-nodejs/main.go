// Command pulumi-language-nodejs is a minimal Node.js language host for the Pulumi engine.
//
// The Go module proxy reachable here does not serve upstream's language host module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), so scripts/pulumi-toolchain.sh
// builds this one instead, against github.com/pulumi/pulumi/sdk/v3 (which the proxy does serve).
//
// It implements the parts of the LanguageRuntime gRPC service that `pulumi preview/up/refresh/destroy`
// and `--policy-pack` use:
//   - Run: starts `node <program's @pulumi/pulumi>/cmd/run` with the engine's arguments and config;
//   - RunPlugin: starts `node .../cmd/run-policy-pack` (policy packs) or `.../cmd/run-plugin`;
//   - GetRequiredPackages/Plugins, GetProgramDependencies: empty (providers are loaded on demand);
//   - Handshake, GetPluginInfo, About.
//
// Everything else (pulumi new/convert/package gen, InstallDependencies) answers Unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

// Exit code with which @pulumi/pulumi's cmd/run says it already printed an actionable error.
const exitAfterUserMessage = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	mu            sync.Mutex
	engineAddress string
}

func main() {
	var positional []string
	for _, a := range os.Args[1:] {
		if a == "-version" || a == "--version" {
			fmt.Println(version)
			return
		}
		if !strings.HasPrefix(a, "-") {
			positional = append(positional, a)
		}
	}
	h := &host{}
	if len(positional) > 0 {
		h.engineAddress = positional[len(positional)-1]
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the RPC server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: RPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodePath, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not on PATH")
	}
	out, err := exec.Command(nodePath, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{Executable: nodePath, Version: strings.TrimSpace(string(out))}, nil
}

// sdkScript finds <dir or an ancestor>/node_modules/@pulumi/pulumi/cmd/<name>.
func sdkScript(dir, name string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", name)
		if _, err := os.Stat(filepath.Join(p, "index.js")); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no node_modules/@pulumi/pulumi/cmd/%s in %s or above it; run npm install", name, abs)
		}
	}
}

func option(opts *structpb.Struct, key string) (*structpb.Value, bool) {
	if opts == nil {
		return nil, false
	}
	v, ok := opts.GetFields()[key]
	return v, ok
}

// nodeEnv is the environment for node: ours, plus the runtime options of Pulumi.yaml that
// @pulumi/pulumi reads from the environment.
func nodeEnv(info *pulumirpc.ProgramInfo, extra ...string) []string {
	env := os.Environ()
	opts := info.GetOptions()
	typescript := true
	if v, ok := option(opts, "typescript"); ok {
		typescript = v.GetBoolValue()
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(typescript))
	if v, ok := option(opts, "tsconfig"); ok && v.GetStringValue() != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+v.GetStringValue())
	}
	return append(env, extra...)
}

func nodeArgs(info *pulumirpc.ProgramInfo) []string {
	if v, ok := option(info.GetOptions(), "nodeargs"); ok && v.GetStringValue() != "" {
		return strings.Fields(v.GetStringValue())
	}
	return nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	runPath, err := sdkScript(programDir, "run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	args := append(nodeArgs(info), runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine())
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", programDir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	cfg := req.GetConfig()
	if cfg == nil {
		cfg = map[string]string{} // @pulumi/pulumi expects a JSON object, never null
	}
	config, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = programDir
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.Env = nodeEnv(info, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secrets))
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitAfterUserMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

type streamWriter struct {
	mu     *sync.Mutex
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := append([]byte(nil), p...)
	resp := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	if w.stderr {
		resp = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	}
	if err := w.server.Send(resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

var _ io.Writer = streamWriter{}

// RunPlugin runs a Node.js plugin: a policy pack (kind "analyzer") through @pulumi/pulumi's
// cmd/run-policy-pack, anything else through cmd/run-plugin.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	if dir == "" {
		dir = req.GetProgram()
	}
	script := "run-plugin"
	if req.GetKind() == "analyzer" {
		script = "run-policy-pack"
	}
	path, err := sdkScript(dir, script)
	if err != nil {
		return err
	}
	args := append(nodeArgs(info), path)
	if script == "run-policy-pack" {
		// usage: run-policy-pack <engine-address> <program>; the engine passes its address in Args.
		args = append(args, req.GetArgs()...)
		args = append(args, dir)
	} else {
		args = append(args, dir)
		args = append(args, req.GetArgs()...)
	}
	cmd := exec.CommandContext(server.Context(), "node", args...)
	cmd.Dir = dir
	// A policy pack runs in its own directory, whatever the program's: @pulumi/policy reads the pack's
	// version from ./package.json (the engine's legacy analyzer path does the same). Other plugins run
	// where the engine says.
	if req.GetPwd() != "" && script != "run-policy-pack" {
		cmd.Dir = req.GetPwd()
	}
	var mu sync.Mutex
	cmd.Stdout = streamWriter{mu: &mu, server: server}
	cmd.Stderr = streamWriter{mu: &mu, server: server, stderr: true}
	cmd.Env = append(nodeEnv(info), req.GetEnv()...)
	code := 0
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("could not run node: %w", err)
		}
		code = exitErr.ExitCode()
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}
