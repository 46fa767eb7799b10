// nomad_client drives drover-nomad-driver the way a Nomad client drives an
// external task-driver plugin: Debian's hashicorp/go-plugin client with
// Nomad's handshake config and gRPC, then Nomad's RPCs in Nomad's order. The
// driver configs are encoded as Nomad encodes them: cty values of the type
// the plugin's hclspec implies, marshalled with go-cty's msgpack package.
//
// Usage: nomad_client -bridge PATH -plugin SO -scenario NAME -workdir DIR
// Exit status 0 when every check passed; each failure is printed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	// The generated packages are named after the proto packages.
	base "drover/nomadpb/base"
	drivers "drover/nomadpb/drivers"
	hclspec "drover/nomadpb/hclspec"

	"github.com/golang/protobuf/ptypes/duration"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Nomad's handshake for driver plugins (plugins/base/plugin.go).
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  2,
	MagicCookieKey:   "NOMAD_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255",
}

// driverPlugin hands back the raw connection; the generated clients use it.
type driverPlugin struct{}

func (driverPlugin) Server(*plugin.MuxBroker) (interface{}, error) {
	return nil, fmt.Errorf("net/rpc is not used")
}
func (driverPlugin) Client(*plugin.MuxBroker, *rpc.Client) (interface{}, error) {
	return nil, fmt.Errorf("net/rpc is not used")
}
func (driverPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }
func (driverPlugin) GRPCClient(ctx context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return c, nil
}

var failures int

// A file the driver's fingerprint needs (exec: its drover-exec-init), which
// the Fingerprint check takes away and puts back; "" skips that check.
var healthFile = flag.String("health-file", "", "a file the driver's health depends on")

func check(ok bool, format string, args ...interface{}) {
	if ok {
		fmt.Printf("ok: "+format+"\n", args...)
		return
	}
	failures++
	fmt.Printf("FAIL: "+format+"\n", args...)
}

func fatal(format string, args ...interface{}) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

type conn struct {
	client *plugin.Client
	base   base.BasePluginClient
	driver drivers.DriverClient
}

func launch(bridge, so string, env []string) *conn {
	cmd := exec.Command(bridge, so)
	cmd.Env = append(os.Environ(), env...)
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		VersionedPlugins: map[int]plugin.PluginSet{2: {"driver": driverPlugin{}}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     20 * time.Second,
	})
	rpcClient, err := c.Client()
	if err != nil {
		fatal("go-plugin handshake with %s: %v", bridge, err)
	}
	check(c.NegotiatedVersion() == 2, "negotiated app protocol 2 (got %d)", c.NegotiatedVersion())
	check(rpcClient.Ping() == nil, "go-plugin Ping (grpc.health.v1 Check \"plugin\")")
	raw, err := rpcClient.Dispense("driver")
	if err != nil {
		fatal("dispense: %v", err)
	}
	cc := raw.(*grpc.ClientConn)
	return &conn{client: c, base: base.NewBasePluginClient(cc), driver: drivers.NewDriverClient(cc)}
}

// ------------------------------------------------------------------ hcldec

// ctyType parses the HCL type expressions drover's specs use.
func ctyType(expr string) cty.Type {
	switch {
	case expr == "string":
		return cty.String
	case expr == "bool":
		return cty.Bool
	case expr == "number":
		return cty.Number
	case expr == "any":
		return cty.DynamicPseudoType
	case strings.HasPrefix(expr, "list(") && strings.HasSuffix(expr, ")"):
		return cty.List(ctyType(expr[5 : len(expr)-1]))
	case strings.HasPrefix(expr, "map(") && strings.HasSuffix(expr, ")"):
		return cty.Map(ctyType(expr[4 : len(expr)-1]))
	}
	fatal("type expression %q not understood", expr)
	return cty.NilType
}

// specType is the type hcldec implies for a spec.
func specType(s *hclspec.Spec) cty.Type {
	switch b := s.Block.(type) {
	case *hclspec.Spec_Object:
		attrs := map[string]cty.Type{}
		for name, sub := range b.Object.Attributes {
			attrs[name] = specType(sub)
		}
		return cty.Object(attrs)
	case *hclspec.Spec_Attr:
		return ctyType(b.Attr.Type)
	case *hclspec.Spec_Default:
		return specType(b.Default.Primary)
	case *hclspec.Spec_BlockValue:
		return specType(b.BlockValue.Nested)
	case *hclspec.Spec_BlockList:
		return cty.List(specType(b.BlockList.Nested))
	}
	fatal("spec %T not understood", s.Block)
	return cty.NilType
}

// toCty converts JSON-decoded data to a value of type t, as hcldec would
// produce from the same HCL (absent attributes null).
func toCty(v interface{}, t cty.Type) cty.Value {
	if v == nil {
		if t.IsListType() && t.ElementType().IsObjectType() {
			return cty.ListValEmpty(t.ElementType())
		}
		return cty.NullVal(t)
	}
	switch {
	case t == cty.String:
		return cty.StringVal(v.(string))
	case t == cty.Bool:
		return cty.BoolVal(v.(bool))
	case t == cty.Number:
		return cty.NumberFloatVal(v.(float64))
	case t == cty.DynamicPseudoType:
		switch x := v.(type) {
		case string:
			return cty.StringVal(x)
		case bool:
			return cty.BoolVal(x)
		case float64:
			return cty.NumberFloatVal(x)
		}
		fatal("any-typed value %v not supported by this client", v)
	case t.IsListType():
		items := v.([]interface{})
		if len(items) == 0 {
			return cty.ListValEmpty(t.ElementType())
		}
		vals := []cty.Value{}
		for _, it := range items {
			vals = append(vals, toCty(it, t.ElementType()))
		}
		return cty.ListVal(vals)
	case t.IsMapType():
		m := v.(map[string]interface{})
		if len(m) == 0 {
			return cty.MapValEmpty(t.ElementType())
		}
		vals := map[string]cty.Value{}
		for k, it := range m {
			vals[k] = toCty(it, t.ElementType())
		}
		return cty.MapVal(vals)
	case t.IsObjectType():
		m := v.(map[string]interface{})
		vals := map[string]cty.Value{}
		for name, at := range t.AttributeTypes() {
			vals[name] = toCty(m[name], at)
		}
		for k := range m {
			if !t.HasAttribute(k) {
				fatal("config key %q is not in the plugin's spec", k)
			}
		}
		return cty.ObjectVal(vals)
	}
	fatal("type %s not supported by this client", t.FriendlyName())
	return cty.NilVal
}

func encode(spec *hclspec.Spec, jsonText string) []byte {
	var v interface{}
	if err := json.Unmarshal([]byte(jsonText), &v); err != nil {
		fatal("scenario json %q: %v", jsonText, err)
	}
	t := specType(spec)
	val := toCty(v, t)
	// Nomad marshals with the value's own type (TaskConfig.EncodeDriverConfig).
	b, err := ctymsgpack.Marshal(val, val.Type())
	if err != nil {
		fatal("cty msgpack: %v", err)
	}
	return b
}

// ------------------------------------------------------------------ scenarios

type scenario struct {
	name          string
	pluginConfig  string
	taskConfig    string               // runs until signalled; prints "started", traps USR1
	badTaskConfig map[string]cty.Value // one field of the wrong type...
	badField      string               // ...named here
	wantAttribute string
	fsIsolation   drivers.DriverCapabilities_FSIsolation
	signals, exec bool
	usr1Marker    string // written to stdout after SIGUSR1, "" when not checked
	execCommand   []string
	execWant      string
	wantStats     bool
	startedMarker string // in the task's stdout once it runs
	stderrMarker  string // in the task's stderr once it runs, "" when it prints none
	streaming     bool   // ExecTaskStreaming checked (pipes, then a tty with resizes)
	exits         bool   // the task ends by itself...
	exitCode      int32  // ...with this code
}

// The trap runs between two sleeps: at most a second after the signal.
var longRunning = `trap 'echo got-usr1' USR1; echo started; echo started-err >&2; while :; do sleep 1; done`

var scenarios = map[string]scenario{
	"raw_exec": {
		pluginConfig:  `{"enabled": true}`,
		taskConfig:    `{"command": "/bin/sh", "args": ["-c", "` + longRunning + `"]}`,
		badTaskConfig: map[string]cty.Value{"command": cty.NumberIntVal(5)},
		badField:      "command",
		wantAttribute: "driver.raw_exec",
		fsIsolation:   drivers.DriverCapabilities_NONE,
		signals:       true,
		exec:          true,
		usr1Marker:    "got-usr1",
		execCommand:   []string{"/bin/echo", "exec-ok"},
		execWant:      "exec-ok\n",
		wantStats:     true,
		streaming:     true,
		startedMarker: "started",
		stderrMarker:  "started-err",
	},
	"exec": {
		pluginConfig:  `{}`,
		taskConfig:    `{"command": "/bin/sh", "args": ["-c", "` + longRunning + `"]}`,
		badTaskConfig: map[string]cty.Value{"command": cty.NumberIntVal(5)},
		badField:      "command",
		wantAttribute: "driver.exec",
		fsIsolation:   drivers.DriverCapabilities_CHROOT,
		signals:       true,
		exec:          true,
		usr1Marker:    "got-usr1",
		execCommand:   []string{"/bin/echo", "exec-ok"},
		execWant:      "exec-ok\n",
		wantStats:     true,
		streaming:     true,
		startedMarker: "started",
		stderrMarker:  "started-err",
	},
	"docker": {
		pluginConfig:  `{}`,
		taskConfig:    `{"image": "@IMAGE@", "command": "/bin/sh", "args": ["-c", "` + longRunning + `"]}`,
		badTaskConfig: map[string]cty.Value{"image": cty.True},
		badField:      "image",
		wantAttribute: "driver.docker",
		fsIsolation:   drivers.DriverCapabilities_IMAGE,
		signals:       true,
		exec:          true,
		usr1Marker:    "got-usr1",
		execCommand:   []string{"/bin/echo", "exec-ok"},
		execWant:      "exec-ok\n",
		wantStats:     true,
		startedMarker: "started",
		stderrMarker:  "started-err",
	},
	// The out-of-tree example driver (doc/examples/driver): a task that
	// prints its message and exits; no signals, no exec, no stats.
	"echo": {
		pluginConfig:  `{}`,
		taskConfig:    `{"message": "hello-nomad", "exit_code": 3}`,
		badTaskConfig: map[string]cty.Value{"message": cty.ListValEmpty(cty.String)},
		badField:      "message",
		wantAttribute: "driver.echo",
		fsIsolation:   drivers.DriverCapabilities_NONE,
		startedMarker: "hello-nomad",
		exits:         true,
		exitCode:      3,
	},
}

func allocDir(root, task string) string {
	dir, err := ioutil.TempDir(root, "alloc")
	if err != nil {
		fatal("alloc dir: %v", err)
	}
	for _, d := range []string{"alloc/logs", "alloc/tmp", "alloc/data", task + "/local", task + "/secrets", task + "/tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0755); err != nil {
			fatal("alloc dir: %v", err)
		}
	}
	return dir
}

// fifoReader reads a FIFO the way Nomad's logmon does: it makes it, opens
// it for reading (blocking until a writer opens it) and keeps every byte.
type fifoReader struct {
	mu  sync.Mutex
	buf []byte
}

func readFifo(path string) *fifoReader {
	if err := syscall.Mkfifo(path, 0600); err != nil {
		fatal("mkfifo %s: %v", path, err)
	}
	r := &fifoReader{}
	go func() {
		f, err := os.OpenFile(path, os.O_RDONLY, os.ModeNamedPipe)
		if err != nil {
			return
		}
		defer f.Close()
		chunk := make([]byte, 4096)
		for {
			n, err := f.Read(chunk)
			r.mu.Lock()
			r.buf = append(r.buf, chunk[:n]...)
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return r
}

func (r *fifoReader) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.buf)
}

func (r *fifoReader) has(text string) func() bool {
	return func() bool { return strings.Contains(r.text(), text) }
}

func waitFor(what string, deadline time.Duration, cond func() bool) bool {
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

func configure(c *conn, sc scenario) {
	ctx := context.Background()
	info, err := c.base.PluginInfo(ctx, &base.PluginInfoRequest{})
	if err != nil {
		fatal("PluginInfo: %v", err)
	}
	check(info.Type == base.PluginType_DRIVER, "PluginInfo type DRIVER (got %v)", info.Type)
	check(len(info.PluginApiVersions) == 1 && info.PluginApiVersions[0] == "0.1.0",
		"PluginInfo plugin API versions [0.1.0] (got %v)", info.PluginApiVersions)
	check(info.Name == sc.name, "PluginInfo name %q (got %q)", sc.name, info.Name)
	schema, err := c.base.ConfigSchema(ctx, &base.ConfigSchemaRequest{})
	if err != nil {
		fatal("ConfigSchema: %v", err)
	}
	_, err = c.base.SetConfig(ctx, &base.SetConfigRequest{
		MsgpackConfig:    encode(schema.Spec, sc.pluginConfig),
		PluginApiVersion: "0.1.0",
		NomadConfig:      &base.NomadConfig{Driver: &base.NomadDriverConfig{ClientMinPort: 20000, ClientMaxPort: 32000}},
	})
	check(err == nil, "SetConfig %s: %v", sc.pluginConfig, err)
}

func run(bridge, so, workdir string, sc scenario) {
	ctx := context.Background()
	c := launch(bridge, so, nil)
	configure(c, sc)

	tschema, err := c.driver.TaskConfigSchema(ctx, &drivers.TaskConfigSchemaRequest{})
	if err != nil {
		fatal("TaskConfigSchema: %v", err)
	}
	_, isObject := tschema.Spec.Block.(*hclspec.Spec_Object)
	check(isObject, "TaskConfigSchema is an hclspec Object")

	caps, err := c.driver.Capabilities(ctx, &drivers.CapabilitiesRequest{})
	if err != nil {
		fatal("Capabilities: %v", err)
	}
	cp := caps.Capabilities
	check(cp.SendSignals == sc.signals && cp.Exec == sc.exec && cp.FsIsolation == sc.fsIsolation,
		"Capabilities signals=%v exec=%v fs=%v (got %v %v %v)", sc.signals, sc.exec, sc.fsIsolation,
		cp.SendSignals, cp.Exec, cp.FsIsolation)

	fctx, fcancel := context.WithTimeout(ctx, 30*time.Second)
	fstream, err := c.driver.Fingerprint(fctx, &drivers.FingerprintRequest{})
	if err != nil {
		fatal("Fingerprint: %v", err)
	}
	fp, err := fstream.Recv()
	if err != nil {
		fatal("Fingerprint recv: %v", err)
	}
	_, hasAttr := fp.Attributes[sc.wantAttribute]
	check(fp.Health == drivers.FingerprintResponse_HEALTHY && hasAttr,
		"Fingerprint HEALTHY with %s (got %v %q, %d attributes)", sc.wantAttribute, fp.Health,
		fp.HealthDescription, len(fp.Attributes))
	if *healthFile != "" {
		// The stream sends again when health changes: take away what the
		// driver's fingerprint checks, then give it back.
		os.Rename(*healthFile, *healthFile+".off")
		fp, err = fstream.Recv()
		check(err == nil && fp.Health == drivers.FingerprintResponse_UNHEALTHY,
			"Fingerprint re-sent UNHEALTHY once %s is gone (got %v, %v)", *healthFile, fp, err)
		os.Rename(*healthFile+".off", *healthFile)
		fp, err = fstream.Recv()
		check(err == nil && fp.Health == drivers.FingerprintResponse_HEALTHY,
			"Fingerprint re-sent HEALTHY once it is back (got %v, %v)", fp.GetHealth(), err)
	}
	fcancel()

	events, err := c.driver.TaskEvents(ctx, &drivers.TaskEventsRequest{})
	check(err == nil, "TaskEvents stream opened: %v", err)
	_ = events

	// A config of the wrong type is refused, naming the field.
	taskName := "web"
	if sc.badTaskConfig != nil {
		bad := cty.ObjectVal(sc.badTaskConfig)
		b, _ := ctymsgpack.Marshal(bad, bad.Type())
		dir := allocDir(workdir, taskName)
		resp, err := c.driver.StartTask(ctx, &drivers.StartTaskRequest{Task: &drivers.TaskConfig{
			Id: "bad0000/web/0", Name: taskName, AllocId: "bad0000", AllocDir: dir,
			MsgpackDriverConfig: b, JobName: "job", TaskGroupName: "group"}})
		check(err == nil && resp.Result == drivers.StartTaskResponse_FATAL &&
			strings.Contains(resp.DriverErrorMsg, sc.badField+":"),
			"StartTask with a wrong type for %q is FATAL naming the field (got %v, %v)", sc.badField, resp, err)
	}

	dir := allocDir(workdir, taskName)
	allocID := filepath.Base(dir)
	tc := &drivers.TaskConfig{
		Id: allocID + "/" + taskName + "/1234abcd", Name: taskName, AllocId: allocID, AllocDir: dir,
		JobName: "job", JobId: "job", TaskGroupName: "group",
		Env: map[string]string{"PATH": "/usr/bin:/bin", "NOMAD_ALLOC_NAME": "job.group[0]",
			"NOMAD_ALLOC_INDEX": "0", "NOMAD_TASK_NAME": taskName},
		Resources: &drivers.Resources{AllocatedResources: &drivers.AllocatedTaskResources{
			Cpu: &drivers.AllocatedCpuResources{CpuShares: 100}, Memory: &drivers.AllocatedMemoryResources{MemoryMb: 64}}},
		MsgpackDriverConfig: encode(tschema.Spec, sc.taskConfig),
	}
	// Like Nomad's logmon: the two FIFOs under alloc/logs, named as Nomad
	// names them, read from before the task starts.
	tc.StdoutPath = filepath.Join(dir, "alloc/logs", "."+taskName+".stdout.fifo")
	tc.StderrPath = filepath.Join(dir, "alloc/logs", "."+taskName+".stderr.fifo")
	stdoutFifo, stderrFifo := readFifo(tc.StdoutPath), readFifo(tc.StderrPath)
	start, err := c.driver.StartTask(ctx, &drivers.StartTaskRequest{Task: tc})
	if err != nil || start.Result != drivers.StartTaskResponse_SUCCESS {
		fatal("StartTask: %v %v", start, err)
	}
	handle := start.Handle
	check(handle != nil && len(handle.DriverState) > 0 && handle.Config.Id == tc.Id,
		"StartTask SUCCESS with a handle carrying driver_state and the task config")
	// The shim's state lives outside everything the task can write.
	stateDir := filepath.Join(os.Getenv("DROVER_NOMAD_DATA_DIR"), "run", allocID, taskName)
	st, serr := os.Lstat(stateDir)
	check(serr == nil && st.IsDir() && st.Mode().Perm() == 0700,
		"the task's private state directory %s exists, mode 0700 (got %v)", stateDir, serr)
	check(waitFor("started", 30*time.Second, stdoutFifo.has(sc.startedMarker+"\n")),
		"the task's stdout reached the stdout_path FIFO %s", tc.StdoutPath)
	if sc.stderrMarker != "" {
		check(waitFor("stderr", 30*time.Second, stderrFifo.has(sc.stderrMarker+"\n")),
			"the task's stderr reached the stderr_path FIFO %s", tc.StderrPath)
	}
	check(!stdoutFifo.has(sc.stderrMarker+"\n")() || sc.stderrMarker == "",
		"no stderr line on the stdout FIFO (got %q)", stdoutFifo.text())
	check(!stderrFifo.has(sc.startedMarker+"\n")(),
		"no stdout line on the stderr FIFO (got %q)", stderrFifo.text())
	logFile := filepath.Join(dir, "alloc/logs", taskName+".stdout.0")
	_, lerr := os.Lstat(logFile)
	check(os.IsNotExist(lerr), "no drover log file %s beside the FIFOs (got %v)", logFile, lerr)

	insp, err := c.driver.InspectTask(ctx, &drivers.InspectTaskRequest{TaskId: tc.Id})
	check(err == nil && (insp.Task.State == drivers.TaskState_RUNNING ||
		(sc.exits && insp.Task.State == drivers.TaskState_EXITED)),
		"InspectTask RUNNING (got %v, %v)", insp, err)

	if sc.wantStats {
		sctx, scancel := context.WithCancel(ctx)
		ss, err := c.driver.TaskStats(sctx, &drivers.TaskStatsRequest{TaskId: tc.Id,
			CollectionInterval: &duration.Duration{Nanos: 200000000}})
		var got int
		for err == nil && got < 2 {
			var st *drivers.TaskStatsResponse
			st, err = ss.Recv()
			if err == nil && st.Stats.Id == tc.Id && st.Stats.AggResourceUsage.Memory != nil {
				got++
			}
		}
		check(got == 2, "TaskStats streamed 2 samples at the requested interval (err %v)", err)
		scancel()
	}

	if sc.signals && !sc.exits {
		_, err = c.driver.SignalTask(ctx, &drivers.SignalTaskRequest{TaskId: tc.Id, Signal: "SIGUSR1"})
		check(err == nil, "SignalTask SIGUSR1: %v", err)
		if sc.usr1Marker != "" {
			check(waitFor("usr1", 10*time.Second, stdoutFifo.has(sc.usr1Marker)),
				"the task saw SIGUSR1 (%q in its stdout)", sc.usr1Marker)
		}
	}

	if sc.exec {
		ex, err := c.driver.ExecTask(ctx, &drivers.ExecTaskRequest{TaskId: tc.Id, Command: sc.execCommand,
			Timeout: &duration.Duration{Seconds: 10}})
		check(err == nil && string(ex.Stdout) == sc.execWant && ex.Result.ExitCode == 0,
			"ExecTask %v printed %q and exited 0 (got %v, %v)", sc.execCommand, sc.execWant, ex, err)
	}
	switch {
	case sc.streaming:
		execStreaming(c, tc.Id)
	case !sc.exec:
		es, err := c.driver.ExecTaskStreaming(ctx)
		if err == nil {
			es.Send(&drivers.ExecTaskStreamingRequest{Setup: &drivers.ExecTaskStreamingRequest_Setup{
				TaskId: tc.Id, Command: []string{"/bin/true"}}})
			_, err = es.Recv()
		}
		check(status.Code(err) == codes.Unimplemented,
			"ExecTaskStreaming on a driver without exec answers Unimplemented (got %v)", err)
	}

	// The plugin dies without Kill; the task must not.
	rc := c.client.ReattachConfig()
	if rc == nil {
		fatal("no reattach config")
	}
	socket := rc.Addr.String()
	syscall.Kill(rc.Pid, syscall.SIGKILL)
	check(waitFor("plugin gone", 10*time.Second, func() bool { return syscall.Kill(rc.Pid, 0) != nil }) ||
		c.client.Exited(), "the plugin process was killed")
	os.Remove(socket) // SIGKILL leaves it; Nomad's client does the same cleanup
	c.client.Kill()

	c = launch(bridge, so, nil)
	configure(c, sc)
	_, err = c.driver.RecoverTask(ctx, &drivers.RecoverTaskRequest{TaskId: tc.Id, Handle: handle})
	check(err == nil, "RecoverTask with the stored handle after SIGKILL and relaunch: %v", err)
	insp, err = c.driver.InspectTask(ctx, &drivers.InspectTaskRequest{TaskId: tc.Id})
	check(err == nil && (insp.Task.State == drivers.TaskState_RUNNING ||
		(sc.exits && insp.Task.State == drivers.TaskState_EXITED)),
		"InspectTask after recover: RUNNING (got %v, %v)", insp, err)

	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	type waitResult struct {
		r   *drivers.WaitTaskResponse
		err error
	}
	waited := make(chan waitResult, 1)
	go func() {
		r, err := c.driver.WaitTask(wctx, &drivers.WaitTaskRequest{TaskId: tc.Id})
		waited <- waitResult{r, err}
	}()
	_, err = c.driver.StopTask(ctx, &drivers.StopTaskRequest{TaskId: tc.Id, Signal: "SIGTERM",
		Timeout: &duration.Duration{Seconds: 5}})
	check(err == nil, "StopTask SIGTERM: %v", err)
	w := <-waited
	if sc.exits {
		check(w.err == nil && w.r.Result != nil && w.r.Result.ExitCode == sc.exitCode,
			"WaitTask reports exit code %d (got %v, %v)", sc.exitCode, w.r, w.err)
	} else {
		check(w.err == nil && w.r.Result != nil && (w.r.Result.Signal == 15 || w.r.Result.ExitCode != 0),
			"WaitTask reports the stopped task (got %v, %v)", w.r, w.err)
	}

	_, err = c.driver.DestroyTask(ctx, &drivers.DestroyTaskRequest{TaskId: tc.Id})
	check(err == nil, "DestroyTask: %v", err)
	_, err = c.driver.InspectTask(ctx, &drivers.InspectTaskRequest{TaskId: tc.Id})
	check(status.Code(err) == codes.NotFound, "InspectTask after destroy: NotFound (got %v)", err)
	_, serr = os.Lstat(stateDir)
	check(os.IsNotExist(serr), "DestroyTask removed the private state directory (got %v)", serr)

	rc = c.client.ReattachConfig()
	c.client.Kill() // plugin.GRPCController/Shutdown
	gone := waitFor("exit", 5*time.Second, func() bool { return syscall.Kill(rc.Pid, 0) != nil })
	_, statErr := os.Stat(rc.Addr.String())
	check(gone && os.IsNotExist(statErr), "Kill: the plugin exited and removed its socket")
}

// ------------------------------------------------------------------ networks

// The DNS block of the group, as Nomad's client sends it in TaskConfig.Dns;
// the task prints its resolv.conf, the inode of its network namespace and
// its host name, then runs until stopped.
var testDNS = &drivers.DNSConfig{Servers: []string{"192.0.2.53"}, Searches: []string{"drover.example"},
	Options: []string{"ndots:3"}}

const netScript = `cat /etc/resolv.conf; echo netns=$(readlink /proc/self/ns/net); echo host=$(hostname); ` +
	`echo started; while :; do sleep 1; done`

// netTask starts a task of allocation dir (its id the dir's name) with the
// given isolation spec and DNS, its stdout read from a FIFO as logmon does.
func netTask(c *conn, tschema *hclspec.Spec, sc scenario, dir, name string,
	spec *drivers.NetworkIsolationSpec, dns *drivers.DNSConfig) (*drivers.TaskConfig, *drivers.StartTaskResponse, *fifoReader, error) {
	allocID := filepath.Base(dir)
	for _, d := range []string{name + "/local", name + "/secrets", name + "/tmp"} {
		os.MkdirAll(filepath.Join(dir, d), 0755)
	}
	cfg := strings.Replace(sc.taskConfig, longRunning, netScript, 1)
	tc := &drivers.TaskConfig{
		Id: allocID + "/" + name + "/5678", Name: name, AllocId: allocID, AllocDir: dir,
		JobName: "job", JobId: "job", TaskGroupName: "group",
		Env: map[string]string{"PATH": "/usr/bin:/bin", "NOMAD_ALLOC_NAME": "job.group[0]",
			"NOMAD_ALLOC_INDEX": "0", "NOMAD_TASK_NAME": name},
		Resources: &drivers.Resources{AllocatedResources: &drivers.AllocatedTaskResources{
			Cpu: &drivers.AllocatedCpuResources{CpuShares: 100}, Memory: &drivers.AllocatedMemoryResources{MemoryMb: 64}}},
		MsgpackDriverConfig:  encode(tschema, cfg),
		NetworkIsolationSpec: spec,
		Dns:                  dns,
		StdoutPath:           filepath.Join(dir, "alloc/logs", "."+name+".stdout.fifo"),
		StderrPath:           filepath.Join(dir, "alloc/logs", "."+name+".stderr.fifo"),
	}
	out := readFifo(tc.StdoutPath)
	readFifo(tc.StderrPath)
	resp, err := c.driver.StartTask(context.Background(), &drivers.StartTaskRequest{Task: tc})
	return tc, resp, out, err
}

func stopTask(c *conn, id string) {
	ctx := context.Background()
	_, err := c.driver.StopTask(ctx, &drivers.StopTaskRequest{TaskId: id, Signal: "SIGKILL",
		Timeout: &duration.Duration{Seconds: 5}})
	check(err == nil, "StopTask %s: %v", id, err)
	_, err = c.driver.DestroyTask(ctx, &drivers.DestroyTaskRequest{TaskId: id, Force: true})
	check(err == nil, "DestroyTask %s: %v", id, err)
}

// resolvHas: the task printed a resolv.conf with the test's DNS block.
func resolvHas(out *fifoReader) bool {
	t := out.text()
	return strings.Contains(t, "nameserver 192.0.2.53\n") && strings.Contains(t, "search drover.example\n") &&
		strings.Contains(t, "options ndots:3\n")
}

// dnsHostMode: a task of a host-mode group with a DNS block gets it in its
// /etc/resolv.conf.
func dnsHostMode(bridge, so, workdir string, sc scenario) {
	ctx := context.Background()
	c := launch(bridge, so, nil)
	defer c.client.Kill()
	configure(c, sc)
	tschema, err := c.driver.TaskConfigSchema(ctx, &drivers.TaskConfigSchemaRequest{})
	if err != nil {
		fatal("TaskConfigSchema: %v", err)
	}
	dir := allocDir(workdir, "dns")
	tc, start, out, err := netTask(c, tschema.Spec, sc, dir, "dns", nil, testDNS)
	if err != nil || start.Result != drivers.StartTaskResponse_SUCCESS {
		check(false, "StartTask with a DNS block: %v %v", start, err)
		return
	}
	check(waitFor("resolv", 30*time.Second, out.has("started\n")) && resolvHas(out),
		"%s task in host mode: TaskConfig.Dns reached its /etc/resolv.conf (got %q)", sc.name, out.text())
	stopTask(c, tc.Id)

	// "alloc", which Nomad refuses as a task name, is where the bridge
	// keeps an allocation's network record.
	_, start, _, err = netTask(c, tschema.Spec, sc, allocDir(workdir, "alloc"), "alloc", nil, nil)
	check(err == nil && start.Result == drivers.StartTaskResponse_FATAL &&
		strings.Contains(start.DriverErrorMsg, `a task cannot be named "alloc"`),
		"StartTask of a task named \"alloc\": FATAL saying so (got %v, %v)", start, err)

	// DNS lists are bounded, entries checked by the driver: both refused
	// naming what is wrong.
	many := &drivers.DNSConfig{}
	for i := 0; i < 33; i++ {
		many.Servers = append(many.Servers, fmt.Sprintf("192.0.2.%d", i))
	}
	_, start, _, err = netTask(c, tschema.Spec, sc, allocDir(workdir, "dns"), "dns", nil, many)
	check(err == nil && start.Result == drivers.StartTaskResponse_FATAL &&
		strings.Contains(start.DriverErrorMsg, `"dns.servers" has 33 entries`),
		"StartTask with 33 DNS servers: FATAL naming dns.servers (got %v, %v)", start, err)
	_, start, _, err = netTask(c, tschema.Spec, sc, allocDir(workdir, "dns"), "dns", nil,
		&drivers.DNSConfig{Searches: []string{"evil.example\nnameserver 6.6.6.6"}})
	check(err == nil && start.Result == drivers.StartTaskResponse_FATAL &&
		strings.Contains(start.DriverErrorMsg, "evil.example"),
		"StartTask with a DNS search holding a newline: FATAL naming it (got %v, %v)", start, err)

	caps, err := c.driver.Capabilities(ctx, &drivers.CapabilitiesRequest{})
	if err != nil || caps.Capabilities.MustCreateNetwork {
		return // docker: groupNetwork
	}
	// A driver that joins the namespace Nomad's client made: CreateNetwork
	// is Nomad's own, and a task of the group gets the spec's path,
	// hostname and the DNS block.
	_, err = c.driver.CreateNetwork(ctx, &drivers.CreateNetworkRequest{AllocId: "a1b2"})
	check(status.Code(err) == codes.Unimplemented,
		"CreateNetwork on a driver that does not make namespaces: Unimplemented (got %v)", err)
	dir = allocDir(workdir, "grp")
	name := "drover-nomad-" + filepath.Base(dir)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		check(false, "ip netns add %s (as Nomad's client makes the namespace): %v %s", name, err, out)
		return
	}
	defer exec.Command("ip", "netns", "del", name).Run()
	netns := "/run/netns/" + name
	spec := &drivers.NetworkIsolationSpec{Mode: drivers.NetworkIsolationSpec_GROUP, Path: netns,
		HostsConfig: &drivers.HostsConfig{Hostname: "grouphost", Address: "192.0.2.10"}}
	tc, start, out, err = netTask(c, tschema.Spec, sc, dir, "grp", spec, testDNS)
	if err != nil || start.Result != drivers.StartTaskResponse_SUCCESS {
		check(false, "StartTask in a group network: %v %v", start, err)
		return
	}
	check(waitFor("group", 30*time.Second, out.has("started\n")) &&
		out.has("netns="+nsInode(netns)+"\n")() && out.has("host=grouphost\n")() && resolvHas(out),
		"%s task in a group: in %s (%s), hostname from HostsConfig, resolv.conf from Dns (got %q)",
		sc.name, netns, nsInode(netns), out.text())
	stopTask(c, tc.Id)
}

// nsInode is the inode of the network namespace at path, as readlink shows
// it ("net:[<inode>]").
func nsInode(path string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "stat " + path + ": " + err.Error()
	}
	return fmt.Sprintf("net:[%d]", st.Ino)
}

func dockerInspect(name, format string) (string, error) {
	out, err := exec.Command("docker", "inspect", "-f", format, name).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// groupNetwork: CreateNetwork and DestroyNetwork for a driver that makes the
// group's namespace (docker's pause container), and a task in it, as Nomad's
// client runs a bridge-mode group (client/allocrunner/network_hook.go).
func groupNetwork(bridge, so, workdir string, sc scenario, infraImage string) {
	ctx := context.Background()
	sc.pluginConfig = `{"infra_image": "` + infraImage + `"}`
	c := launch(bridge, so, nil)
	configure(c, sc)
	tschema, err := c.driver.TaskConfigSchema(ctx, &drivers.TaskConfigSchemaRequest{})
	if err != nil {
		fatal("TaskConfigSchema: %v", err)
	}
	caps, err := c.driver.Capabilities(ctx, &drivers.CapabilitiesRequest{})
	if err != nil {
		fatal("Capabilities: %v", err)
	}
	group := false
	for _, m := range caps.Capabilities.NetworkIsolationModes {
		group = group || m == drivers.NetworkIsolationSpec_GROUP
	}
	check(group && caps.Capabilities.MustCreateNetwork,
		"Capabilities: GROUP isolation and must_create_network (got %v, %v)",
		caps.Capabilities.NetworkIsolationModes, caps.Capabilities.MustCreateNetwork)

	// Bad input is refused naming the field; an allocation with no
	// network is destroyed without error (Nomad may ask twice).
	_, err = c.driver.CreateNetwork(ctx, &drivers.CreateNetworkRequest{})
	check(status.Code(err) == codes.InvalidArgument && strings.Contains(err.Error(), `"alloc_id" is required`),
		"CreateNetwork without alloc_id: InvalidArgument naming it (got %v)", err)
	_, err = c.driver.CreateNetwork(ctx, &drivers.CreateNetworkRequest{AllocId: "../etc"})
	check(status.Code(err) == codes.InvalidArgument && strings.Contains(err.Error(), "not an allocation id"),
		"CreateNetwork with alloc_id \"../etc\": InvalidArgument (got %v)", err)
	_, err = c.driver.CreateNetwork(ctx, &drivers.CreateNetworkRequest{AllocId: "a1b2", Hostname: "bad host\n"})
	check(status.Code(err) == codes.InvalidArgument && strings.Contains(err.Error(), `"hostname"`),
		"CreateNetwork with a bad hostname: InvalidArgument naming it (got %v)", err)
	_, err = c.driver.DestroyNetwork(ctx, &drivers.DestroyNetworkRequest{})
	check(status.Code(err) == codes.InvalidArgument && strings.Contains(err.Error(), `"alloc_id" is required`),
		"DestroyNetwork without alloc_id: InvalidArgument naming it (got %v)", err)
	_, err = c.driver.DestroyNetwork(ctx, &drivers.DestroyNetworkRequest{AllocId: "0b5e7c1e-unknown-alloc"})
	check(err == nil, "DestroyNetwork of an allocation with no network: OK (got %v)", err)

	dir := allocDir(workdir, "web")
	allocID := filepath.Base(dir)
	pause := "nomad_init_" + allocID
	nr, err := c.driver.CreateNetwork(ctx, &drivers.CreateNetworkRequest{AllocId: allocID, Hostname: "grouphost"})
	if err != nil {
		check(false, "CreateNetwork %s: %v", allocID, err)
		c.client.Kill()
		return
	}
	spec := nr.IsolationSpec
	netns := "/run/netns/" + allocID
	check(nr.Created && spec.Mode == drivers.NetworkIsolationSpec_GROUP && spec.Path == netns,
		"CreateNetwork: created, GROUP, path %s (got %v %v %q)", netns, nr.Created, spec.Mode, spec.Path)
	check(spec.Labels["drover_network_handle"] != "" && spec.Labels["docker_sandbox_hostname"] == "grouphost",
		"CreateNetwork: labels carry the driver's handle and the hostname (got %v)", spec.Labels)
	state, err := dockerInspect(pause, "{{.State.Running}} {{.State.Pid}} {{.Config.Hostname}}")
	f := strings.Fields(state)
	check(err == nil && len(f) == 3 && f[0] == "true" && f[2] == "grouphost",
		"pause container %s runs with hostname grouphost (got %q, %v)", pause, state, err)
	if len(f) == 3 {
		check(nsInode(netns) == nsInode("/proc/"+f[1]+"/ns/net"),
			"%s pins the pause container's network namespace (%s, pid %s: %s)", netns,
			nsInode(netns), f[1], nsInode("/proc/"+f[1]+"/ns/net"))
	}
	record := filepath.Join(os.Getenv("DROVER_NOMAD_DATA_DIR"), "run", allocID, "alloc", "network")
	rst, rerr := os.Lstat(record)
	check(rerr == nil && rst.Mode().IsRegular() && rst.Mode().Perm() == 0600,
		"the network record %s is a private file (got %v)", record, rerr)

	// Asked again (Nomad's client after its restart): the same one.
	again, err := c.driver.CreateNetwork(ctx, &drivers.CreateNetworkRequest{AllocId: allocID, Hostname: "grouphost"})
	check(err == nil && !again.Created && again.IsolationSpec.Path == netns &&
		again.IsolationSpec.Labels["drover_network_handle"] == spec.Labels["drover_network_handle"],
		"a second CreateNetwork returns the existing network with created=false (got %v, %v)", again, err)

	// A task of the group, with what Nomad's client adds to the spec.
	spec.HostsConfig = &drivers.HostsConfig{Hostname: "grouphost", Address: "192.0.2.10"}
	tc, start, out, err := netTask(c, tschema.Spec, sc, dir, "web", spec, testDNS)
	if err != nil || start.Result != drivers.StartTaskResponse_SUCCESS {
		check(false, "StartTask in the group network: %v %v", start, err)
	} else {
		check(waitFor("netns", 30*time.Second, out.has("started\n")) &&
			out.has("netns="+nsInode(netns)+"\n")(),
			"the task runs in the group's namespace %s (got %q)", nsInode(netns), out.text())
		check(resolvHas(out), "docker task in the group: TaskConfig.Dns reached its /etc/resolv.conf (got %q)", out.text())
		check(out.has("host=grouphost\n")(), "the task has the group's hostname (got %q)", out.text())
		stopTask(c, tc.Id)
	}

	// A task of an allocation whose network was never made is refused
	// saying so.
	lost := allocDir(workdir, "web")
	_, start, _, err = netTask(c, tschema.Spec, sc, lost, "web",
		&drivers.NetworkIsolationSpec{Mode: drivers.NetworkIsolationSpec_GROUP, Path: "/run/netns/" + filepath.Base(lost)}, nil)
	check(err == nil && start.Result == drivers.StartTaskResponse_FATAL &&
		strings.Contains(start.DriverErrorMsg, "nomad_init_"+filepath.Base(lost)) &&
		strings.Contains(start.DriverErrorMsg, "does not exist"),
		"StartTask in a group network never created: FATAL naming the pause container (got %v, %v)", start, err)

	// The plugin dies; a new one finds the network again.
	rc := c.client.ReattachConfig()
	syscall.Kill(rc.Pid, syscall.SIGKILL)
	waitFor("plugin gone", 10*time.Second, func() bool { return syscall.Kill(rc.Pid, 0) != nil })
	os.Remove(rc.Addr.String())
	c.client.Kill()
	c = launch(bridge, so, nil)
	configure(c, sc)
	again, err = c.driver.CreateNetwork(ctx, &drivers.CreateNetworkRequest{AllocId: allocID, Hostname: "grouphost"})
	check(err == nil && !again.Created && again.IsolationSpec.Path == netns,
		"after a plugin restart CreateNetwork finds the network (created=false) (got %v, %v)", again, err)

	// The holder died (docker kill): its namespace is gone with it, and a
	// new CreateNetwork makes and pins a new one, created=true so that
	// Nomad's client configures it again.
	old := nsInode(netns)
	if out, err := exec.Command("docker", "kill", pause).CombinedOutput(); err != nil {
		check(false, "docker kill %s: %v %s", pause, err, out)
	}
	again, err = c.driver.CreateNetwork(ctx, &drivers.CreateNetworkRequest{AllocId: allocID, Hostname: "grouphost"})
	state, _ = dockerInspect(pause, "{{.State.Running}} {{.State.Pid}}")
	f = strings.Fields(state)
	check(err == nil && again.Created && again.IsolationSpec.Path == netns && len(f) == 2 && f[0] == "true" &&
		nsInode(netns) == nsInode("/proc/"+f[1]+"/ns/net") && nsInode(netns) != old,
		"after the pause container died CreateNetwork makes a new one and pins its namespace, created=true "+
			"(got %v, %v; %q; pin %s, was %s)", again, err, state, nsInode(netns), old)
	if err == nil {
		spec = again.IsolationSpec
	}

	_, err = c.driver.DestroyNetwork(ctx, &drivers.DestroyNetworkRequest{AllocId: allocID, IsolationSpec: spec})
	check(err == nil, "DestroyNetwork %s: %v", allocID, err)
	_, ierr := dockerInspect(pause, "{{.Id}}")
	_, nerr := os.Lstat(netns)
	_, derr := os.Lstat(filepath.Join(os.Getenv("DROVER_NOMAD_DATA_DIR"), "run", allocID))
	check(ierr != nil && os.IsNotExist(nerr) && os.IsNotExist(derr),
		"DestroyNetwork removed the pause container, %s and the allocation's directory (got %v, %v, %v)",
		netns, ierr, nerr, derr)
	_, err = c.driver.DestroyNetwork(ctx, &drivers.DestroyNetworkRequest{AllocId: allocID, IsolationSpec: spec})
	check(err == nil, "DestroyNetwork again: OK (got %v)", err)
	c.client.Kill()
}

// session runs one ExecTaskStreaming exchange: `first` is the setup message,
// then each of `inputs` is sent once the output so far contains its `after`.
type input struct {
	after string
	msg   *drivers.ExecTaskStreamingRequest
}

func session(c *conn, first *drivers.ExecTaskStreamingRequest, inputs []input) (string, *drivers.ExitResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	es, err := c.driver.ExecTaskStreaming(ctx)
	if err != nil {
		return "", nil, err
	}
	if err := es.Send(first); err != nil {
		return "", nil, err
	}
	var out strings.Builder
	next := 0
	for {
		for next < len(inputs) && strings.Contains(out.String(), inputs[next].after) {
			if err := es.Send(inputs[next].msg); err != nil {
				return out.String(), nil, err
			}
			next++
		}
		r, err := es.Recv()
		if err != nil {
			return out.String(), nil, err
		}
		if r.Stdout != nil {
			out.Write(r.Stdout.Data)
		}
		if r.Stderr != nil {
			out.Write(r.Stderr.Data)
		}
		if r.Exited {
			es.CloseSend()
			return out.String(), r.Result, nil
		}
	}
}

func execStreaming(c *conn, id string) {
	// Pipes: stdin to cat, closed; its stdout back; exit code.
	out, res, err := session(c, &drivers.ExecTaskStreamingRequest{
		Setup: &drivers.ExecTaskStreamingRequest_Setup{TaskId: id,
			Command: []string{"/bin/sh", "-c", "cat; echo to-stderr >&2; exit 4"}},
		Stdin: &drivers.ExecTaskStreamingIOOperation{Data: []byte("hello-stream\n")},
	}, []input{{"hello-stream", &drivers.ExecTaskStreamingRequest{
		Stdin: &drivers.ExecTaskStreamingIOOperation{Close: true}}}})
	check(err == nil && res != nil && res.ExitCode == 4 && strings.Contains(out, "hello-stream\n") &&
		strings.Contains(out, "to-stderr"),
		"ExecTaskStreaming: stdin reached the command, stdout and stderr came back, exit code 4 (got %q %v %v)",
		out, res, err)

	// A terminal: the size of the setup, then a resize, each seen by stty.
	script := `[ -t 0 ] && echo is-a-tty; stty size; read a; stty size; read b; echo bye-$b`
	out, res, err = session(c, &drivers.ExecTaskStreamingRequest{
		Setup:   &drivers.ExecTaskStreamingRequest_Setup{TaskId: id, Command: []string{"/bin/sh", "-c", script}, Tty: true},
		TtySize: &drivers.ExecTaskStreamingRequest_TerminalSize{Height: 40, Width: 100},
	}, []input{
		{"40 100", &drivers.ExecTaskStreamingRequest{
			TtySize: &drivers.ExecTaskStreamingRequest_TerminalSize{Height: 50, Width: 120},
			Stdin:   &drivers.ExecTaskStreamingIOOperation{Data: []byte("x\n")}}},
		{"50 120", &drivers.ExecTaskStreamingRequest{
			Stdin: &drivers.ExecTaskStreamingIOOperation{Data: []byte("y\n")}}},
	})
	check(err == nil && res != nil && res.ExitCode == 0 && strings.Contains(out, "is-a-tty") &&
		strings.Contains(out, "40 100") && strings.Contains(out, "50 120") && strings.Contains(out, "bye-y"),
		"ExecTaskStreaming with a tty: initial size 40x100, resize to 50x120 (got %q %v %v)", out, res, err)
}

func main() {
	bridge := flag.String("bridge", "", "drover-nomad-driver")
	so := flag.String("plugin", "", "the driver .so")
	name := flag.String("scenario", "raw_exec", "scenario")
	workdir := flag.String("workdir", os.TempDir(), "scratch directory")
	image := flag.String("image", "", "the docker image the docker scenario runs")
	infra := flag.String("infra-image", "", "docker: the pause image of group networks (\"\": not checked)")
	dns := flag.Bool("dns", false, "also check that TaskConfig.Dns reaches a host-mode task")
	flag.Parse()

	// Started by hand, the plugin refuses with go-plugin's message.
	out, err := exec.Command(*bridge, *so).CombinedOutput()
	check(err != nil && strings.Contains(string(out), "This binary is a plugin"),
		"without the magic cookie the plugin refuses with go-plugin's message")

	sc, ok := scenarios[*name]
	if !ok {
		fatal("unknown scenario %q", *name)
	}
	sc.name = *name
	sc.taskConfig = strings.Replace(sc.taskConfig, "@IMAGE@", *image, -1)
	run(*bridge, *so, *workdir, sc)
	if *dns {
		dnsHostMode(*bridge, *so, *workdir, sc)
	}
	if *infra != "" {
		groupNetwork(*bridge, *so, *workdir, sc, *infra)
	}
	if failures > 0 {
		fmt.Printf("%d check(s) failed\n", failures)
		os.Exit(1)
	}
	fmt.Println("all checks passed")
}
