#!/usr/bin/python3
"""A stand-in for Modal's gRPC API, for Parhelia's tests: the subset of modal.client.ModalClient
and modal.task_command_router.TaskCommandRouter that Parhelia uses (modal/proto), over TLS on
127.0.0.1, with the behaviour Modal documents, and real work under it:

- a sandbox is a real process tree on this machine (its own session and process group) in a
  directory of its own (state-dir/sandboxes/ID/root, a copy of its image's directory); there is
  no chroot: the sandbox's files are under that root and its commands run as this user with the
  root as their working directory (a workdir "/x" is root/x);
- an image is a directory; its Dockerfile `RUN` lines are recorded in the build log, not run;
- logs grow as the processes write and stream with entry ids ("N-0") a stream resumes after;
- a sandbox ends at timeout_secs with TIMEOUT, on terminate with TERMINATED, else SUCCESS or
  FAILURE with its exit code; names are unique per app among running sandboxes;
- exec runs real processes with real pipes; stdio is read by offset, stdin written at offsets;
- a filesystem snapshot is a real copy that a later create starts from;
- there are no network namespaces: a sandbox's unencrypted port 22 is a free port of
  127.0.0.1 chosen at create, given to the sandbox as PARHELIA_SSHD_LISTEN=127.0.0.1:PORT (where
  Parhelia's sshd listens in place of the container's port 22) and reported as its tunnel;
- every process a sandbox starts carries MODAL_TASK_ID (as Modal's containers do) and
  MODAL_STANDIN_SANDBOX (its directory: unique among the stand-ins of tests running at once, whose
  ids repeat), and at the sandbox's end every process of this machine carrying that directory
  ends, daemons included (a container ends whole);
- resource usage grows with real time.

It records every request (method, headers, the request as JSON, the status answered) and
injects faults on request, both through a plain-HTTP control server (see ControlHandler).
"""
import argparse, base64, json, os, shutil, signal, socket, subprocess, sys, threading, time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

import grpc

parser = argparse.ArgumentParser()
parser.add_argument("--state-dir", required=True)
parser.add_argument("--proto-out", required=True)
parser.add_argument("--cert", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--token-id", required=True)
parser.add_argument("--token-secret", required=True)
parser.add_argument("--auth-token-lifetime-s", type=int, default=3600)
parser.add_argument("--list-page-size", type=int, default=100)
parser.add_argument("--with-proxy", action="store_true")
args = parser.parse_args()
sys.path.insert(0, args.proto_out)
import api_pb2 as pb  # noqa: E402
import task_command_router_pb2 as rpb  # noqa: E402
from google.protobuf import json_format  # noqa: E402

STATE = os.path.abspath(args.state_dir)
os.makedirs(os.path.join(STATE, "images"), exist_ok=True)
os.makedirs(os.path.join(STATE, "sandboxes"), exist_ok=True)
lock = threading.RLock()
counter = [0]


def new_id(prefix):
    with lock:
        counter[0] += 1
        return f"{prefix}-{counter[0]:06d}"


def b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_jwt(lifetime, subject):
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"exp": int(time.time()) + lifetime, "sub": subject,
                              "jti": new_id("jwt")}).encode())
    return f"{header}.{payload}.standin"


# ---- recording and faults -------------------------------------------------------------------
records = []
faults = []
auth_tokens = {}   # token -> expiry (seconds since the epoch)
router_jwts = {}   # jwt -> task id
proxy = None


def take_fault(method):
    with lock:
        for rule in faults:
            if rule.get("method") not in (method, "*"):
                continue
            if "until" in rule:  # an outage: every matching call until then
                if time.time() < rule["until"]:
                    return dict(rule)
                continue
            if rule.get("times", 1) > 0:
                rule["times"] = rule.get("times", 1) - 1
                return dict(rule)
    return None


class Abort(Exception):
    def __init__(self, code, message):
        self.code, self.message = code, message


def request_json(method, request):
    data = json_format.MessageToDict(request, preserving_proto_field_name=True)
    if method == "TaskExecStdinWrite":
        data["data"] = len(request.data)  # a byte count, not the bytes
    return data


def check_auth(service, method, headers):
    if service == "router":
        bearer = headers.get("authorization", "")
        if not bearer.startswith("Bearer ") or bearer[7:] not in router_jwts:
            raise Abort(grpc.StatusCode.UNAUTHENTICATED, "invalid or missing command router token")
        return
    if method == "AuthTokenGet":
        if headers.get("x-modal-token-id") != args.token_id or \
                headers.get("x-modal-token-secret") != args.token_secret:
            raise Abort(grpc.StatusCode.UNAUTHENTICATED, "Token ID is malformed or invalid")
        return
    token = headers.get("x-modal-auth-token", "")
    if headers.get("x-modal-token-id") != args.token_id:
        raise Abort(grpc.StatusCode.UNAUTHENTICATED, "Token ID is malformed or invalid")
    with lock:
        expiry = auth_tokens.get(token)
    if expiry is None:
        raise Abort(grpc.StatusCode.UNAUTHENTICATED, "missing or unknown auth token")
    if expiry <= time.time():
        raise Abort(grpc.StatusCode.UNAUTHENTICATED, "auth token expired")


def record(entry):
    with lock:
        records.append(entry)


def wrap(service, method, function, streaming):
    def before(request, context):
        headers = {k: v for k, v in context.invocation_metadata()}
        entry = {"service": service, "method": method, "headers": headers,
                 "request": request_json(method, request), "at": time.time(), "status": "OK"}
        rule = take_fault(method)
        if rule:
            entry["fault"] = rule["kind"]
        record(entry)
        try:
            if rule and rule["kind"] == "expire_auth_token":
                with lock:
                    for token in auth_tokens:
                        auth_tokens[token] = 0
            check_auth(service, method, headers)
            if rule:
                kind = rule["kind"]
                if kind == "unavailable":
                    raise Abort(grpc.StatusCode.UNAVAILABLE, rule.get("message", "stand-in: unavailable"))
                if kind == "resource_exhausted":
                    raise Abort(grpc.StatusCode.RESOURCE_EXHAUSTED, rule.get(
                        "message", "GPU quota exceeded: max_concurrent_gpus is 2 for H100 in this workspace"))
                if kind in ("slow", "silent"):
                    end = time.time() + float(rule.get("delay_s", 3600 if kind == "silent" else 1))
                    while time.time() < end and context.is_active():
                        time.sleep(0.02)
                    if kind == "silent":
                        raise Abort(grpc.StatusCode.UNAVAILABLE, "stand-in: silent")
                if kind == "drop_connection":
                    if proxy:
                        proxy.drop_all()
                    raise Abort(grpc.StatusCode.UNAVAILABLE, "stand-in: the connection was dropped")
        except Abort as abort:
            entry["status"] = abort.code.name
            context.abort(abort.code, abort.message)
        return entry, rule

    def unary(request, context):
        entry, rule = before(request, context)
        try:
            answer = function(request, context)
        except Abort as abort:
            entry["status"] = abort.code.name
            context.abort(abort.code, abort.message)
        if rule and rule["kind"] == "lose_answer":
            entry["status"] = "UNAVAILABLE"
            context.abort(grpc.StatusCode.UNAVAILABLE, "stand-in: the answer was lost")
        return answer

    def stream(request, context):
        entry, rule = before(request, context)
        sent = 0
        try:
            for message in function(request, context):
                if rule and rule["kind"] == "cut_stream" and sent >= int(rule.get("after_messages", 1)):
                    entry["status"] = "UNAVAILABLE"
                    context.abort(grpc.StatusCode.UNAVAILABLE, "stand-in: the stream was cut")
                yield message
                sent += 1
        except Abort as abort:
            entry["status"] = abort.code.name
            context.abort(abort.code, abort.message)

    return stream if streaming else unary


# ---- sandboxes ------------------------------------------------------------------------------
apps = {}      # (environment, name) -> app id
app_names = {}  # app id -> name
secrets = {}   # secret id -> env dict
named_secrets = {}  # (environment, name) -> secret id
images = {}    # image id -> directory
image_by_commands = {}
sandboxes = {}  # sandbox id -> Sandbox


class Output:
    """Bytes a process writes, kept whole, read by offset as they grow."""

    def __init__(self):
        self.data = bytearray()
        self.closed = False
        self.cond = threading.Condition()

    def pump(self, pipe, on_piece=None):
        while True:
            piece = os.read(pipe.fileno(), 65536)
            if not piece:
                break
            with self.cond:
                self.data += piece
                if on_piece:
                    on_piece(piece)
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()


def generic(status, exitcode=0, exception=""):
    return pb.GenericResult(status=status, exitcode=exitcode, exception=exception)


class Exec:
    def __init__(self, sandbox, request):
        self.stdout, self.stderr = Output(), Output()
        self.written = 0
        merged = request.stderr_config == rpb.TASK_EXEC_STDERR_CONFIG_STDOUT
        env = sandbox.environment(dict(request.env), list(request.secret_ids))
        self.process = subprocess.Popen(
            list(request.command_args), cwd=sandbox.directory(request.workdir if request.HasField("workdir") else None),
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merged else subprocess.PIPE, start_new_session=True)
        threading.Thread(target=self.stdout.pump, args=(self.process.stdout,), daemon=True).start()
        if merged:
            self.stderr.closed = True
        else:
            threading.Thread(target=self.stderr.pump, args=(self.process.stderr,), daemon=True).start()


class Sandbox:
    def __init__(self, request, app_id):
        definition = request.definition
        self.id = new_id("sb")
        self.task_id = "ta-" + self.id
        self.app_id = app_id
        self.definition = definition
        self.name = definition.name if definition.HasField("name") else ""
        self.tags = {t.tag_name: t.tag_value for t in request.tags}
        self.created_at = time.time()
        self.started_at = self.created_at
        self.finished_at = 0.0
        self.result = None
        self.ending = None  # "terminated", "timeout" or "evicted" once asked
        self.log = []       # (number, file descriptor, text)
        self.log_cond = threading.Condition()
        self.logs_closed = 0
        self.execs = {}
        self.ssh_port = None
        if any(p.port == 22 and p.unencrypted for p in definition.open_ports.ports):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            self.ssh_port = probe.getsockname()[1]
            probe.close()
        self.dir = os.path.join(STATE, "sandboxes", self.id)
        self.root = os.path.join(self.dir, "root")
        image_dir = images.get(definition.image_id)
        if definition.image_id and image_dir is None:
            raise Abort(grpc.StatusCode.NOT_FOUND, f"Image {definition.image_id} not found")
        if image_dir:
            shutil.copytree(image_dir, self.root, symlinks=True)
        else:
            os.makedirs(self.root)
        self.timeout = definition.timeout_secs or 300
        self.done = threading.Event()

    def directory(self, workdir):
        path = os.path.join(self.root, (workdir or "").lstrip("/"))
        os.makedirs(path, exist_ok=True)
        return path

    def environment(self, extra, secret_ids):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.directory("/root"),
               "LANG": "C.UTF-8", "MODAL_TASK_ID": self.task_id, "MODAL_STANDIN_SANDBOX": self.dir}
        if self.ssh_port:
            env["PARHELIA_SSHD_LISTEN"] = f"127.0.0.1:{self.ssh_port}"
        for secret_id in list(self.definition.secret_ids) + secret_ids:
            env.update(secrets.get(secret_id, {}))
        env.update(dict(self.definition.environment_variables.contents))
        env.update(extra)
        return env

    def start(self):
        d = self.definition
        self.process = subprocess.Popen(
            list(d.entrypoint_args) or ["sleep", str(self.timeout)],
            cwd=self.directory(d.workdir if d.HasField("workdir") else None),
            env=self.environment({}, []), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
        self.readers = []
        for fd, pipe in ((pb.FILE_DESCRIPTOR_STDOUT, self.process.stdout),
                         (pb.FILE_DESCRIPTOR_STDERR, self.process.stderr)):
            reader = threading.Thread(target=self.read_log, args=(fd, pipe), daemon=True)
            reader.start()
            self.readers.append(reader)
        self.timer = threading.Timer(self.timeout, self.end, args=("timeout",))
        self.timer.daemon = True
        self.timer.start()
        threading.Thread(target=self.watch, daemon=True).start()

    def read_log(self, fd, pipe):
        while True:
            piece = os.read(pipe.fileno(), 65536)
            if not piece:
                break
            with self.log_cond:
                self.log.append((len(self.log) + 1, fd, piece.decode("utf-8", "replace")))
                self.log_cond.notify_all()
        with self.log_cond:
            self.logs_closed += 1
            self.log_cond.notify_all()

    def kill_group(self, process):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def end(self, how):
        with lock:
            if self.result is not None or self.ending:
                return
            self.ending = how
        self.kill_group(self.process)

    def watch(self):
        code = self.process.wait()
        self.kill_group(self.process)  # what it left behind in its group
        for reader in self.readers:
            reader.join(5)
        self.timer.cancel()
        for e in self.execs.values():
            self.kill_group(e.process)
        self.kill_everything()
        with lock:
            self.finished_at = time.time()
            if self.ending == "terminated":
                self.result = generic(pb.GenericResult.GENERIC_STATUS_TERMINATED)
            elif self.ending == "timeout":
                self.result = generic(pb.GenericResult.GENERIC_STATUS_TIMEOUT)
            elif self.ending == "evicted":
                self.result = generic(pb.GenericResult.GENERIC_STATUS_MEMORY_MANAGER_EVICTION,
                                      exception="the container was evicted")
            elif code == 0:
                self.result = generic(pb.GenericResult.GENERIC_STATUS_SUCCESS)
            else:
                self.result = generic(pb.GenericResult.GENERIC_STATUS_FAILURE, code if code > 0 else 128 - code,
                                      f"exited with {code}")
        with self.log_cond:
            self.log_cond.notify_all()
        self.done.set()

    def kill_everything(self):
        """Every process of this machine carrying the sandbox's directory: what its execs left
        running in sessions of their own (sshd, tmux) ends with it, as in a container."""
        marker = f"MODAL_STANDIN_SANDBOX={self.dir}".encode()
        for _ in range(3):
            found = False
            for entry in os.listdir("/proc"):
                if not entry.isdigit() or int(entry) == os.getpid():
                    continue
                try:
                    with open(f"/proc/{entry}/environ", "rb") as f:
                        environ = f.read().split(b"\0")
                except OSError:
                    continue
                if marker in environ:
                    found = True
                    try:
                        os.kill(int(entry), signal.SIGKILL)
                    except OSError:
                        pass
            if not found:
                return
            time.sleep(0.05)

    def info(self):
        task = pb.TaskInfo(id=self.task_id, started_at=self.started_at, finished_at=self.finished_at,
                           sandbox_id=self.id)
        gpu = self.definition.resources.gpu_config
        if gpu.gpu_type:
            task.gpu_type = gpu.gpu_type
            task.gpu_config.CopyFrom(gpu)
        if self.result is not None:
            task.result.CopyFrom(self.result)
        return pb.SandboxInfo(id=self.id, created_at=self.created_at, task_info=task, app_id=self.app_id,
                              tags=[pb.SandboxTag(tag_name=k, tag_value=v) for k, v in sorted(self.tags.items())],
                              name=self.name, image_id=self.definition.image_id,
                              timeout_secs=self.timeout, tunnels=self.tunnels())

    def tunnels(self):
        out = []
        for port in self.definition.open_ports.ports:
            target = self.ssh_port if port.port == 22 and self.ssh_port else port.port
            tunnel = pb.TunnelData(host="127.0.0.1", port=target, container_port=port.port)
            if port.unencrypted:
                tunnel.unencrypted_host = "127.0.0.1"
                tunnel.unencrypted_port = target
            out.append(tunnel)
        return out


def sandbox_of(sandbox_id):
    with lock:
        sandbox = sandboxes.get(sandbox_id)
    if sandbox is None:
        raise Abort(grpc.StatusCode.NOT_FOUND, f"Sandbox {sandbox_id} not found")
    return sandbox


def sandbox_of_task(task_id):
    return sandbox_of(task_id[3:] if task_id.startswith("ta-") else "")


def special_files(directory, names):
    """Sockets and fifos (a tmux socket, a fifo a process reads): not copied, as a container's
    snapshot keeps no live endpoint (and opening a fifo to copy it would wait for a writer)."""
    import stat
    left = []
    for name in names:
        try:
            mode = os.lstat(os.path.join(directory, name)).st_mode
        except OSError:
            continue
        if stat.S_ISSOCK(mode) or stat.S_ISFIFO(mode):
            left.append(name)
    return left


def snapshot(sandbox):
    image_id = new_id("im")
    target = os.path.join(STATE, "images", image_id)
    shutil.copytree(sandbox.root, target, symlinks=True, ignore=special_files)
    with lock:
        images[image_id] = target
    return image_id


# ---- ModalClient ----------------------------------------------------------------------------
def AuthTokenGet(request, context):
    token = make_jwt(args.auth_token_lifetime_s, args.token_id)
    with lock:
        auth_tokens[token] = time.time() + args.auth_token_lifetime_s
    return pb.AuthTokenGetResponse(token=token)


def AppGetOrCreate(request, context):
    key = (request.environment_name, request.app_name)
    with lock:
        if key not in apps:
            if request.object_creation_type == pb.OBJECT_CREATION_TYPE_UNSPECIFIED:
                raise Abort(grpc.StatusCode.NOT_FOUND, f"App {request.app_name} not found")
            apps[key] = new_id("ap")
            app_names[apps[key]] = request.app_name
        return pb.AppGetOrCreateResponse(app_id=apps[key])


def SecretGetOrCreate(request, context):
    values = dict(request.env_dict)
    with lock:
        if request.object_creation_type == pb.OBJECT_CREATION_TYPE_EPHEMERAL:
            secret_id = new_id("st")
            secrets[secret_id] = values
            return pb.SecretGetOrCreateResponse(secret_id=secret_id)
        key = (request.environment_name, request.deployment_name)
        if key not in named_secrets:
            if request.object_creation_type != pb.OBJECT_CREATION_TYPE_CREATE_IF_MISSING:
                raise Abort(grpc.StatusCode.NOT_FOUND, f"Secret {request.deployment_name} not found")
            named_secrets[key] = new_id("st")
            secrets[named_secrets[key]] = values
        secret_id = named_secrets[key]
        missing = [k for k in request.required_keys if k not in secrets[secret_id]]
        if missing:
            raise Abort(grpc.StatusCode.NOT_FOUND, f"Secret is missing key(s): {', '.join(missing)}")
        return pb.SecretGetOrCreateResponse(secret_id=secret_id)


def ImageGetOrCreate(request, context):
    commands = tuple(request.image.dockerfile_commands)
    with lock:
        image_id = image_by_commands.get(commands)
        if image_id is None or request.force_build:
            image_id = new_id("im")
            directory = os.path.join(STATE, "images", image_id)
            os.makedirs(directory)
            with open(os.path.join(directory, ".standin-image"), "w") as f:
                f.write("\n".join(commands) + "\n")
            images[image_id] = directory
            image_by_commands[commands] = image_id
    return pb.ImageGetOrCreateResponse(image_id=image_id)


def ImageJoinStreaming(request, context):
    with lock:
        directory = images.get(request.image_id)
    if directory is None:
        raise Abort(grpc.StatusCode.NOT_FOUND, f"Image {request.image_id} not found")
    commands = open(os.path.join(directory, ".standin-image")).read().splitlines() \
        if os.path.exists(os.path.join(directory, ".standin-image")) else []
    after = int((request.last_entry_id or "0-0").split("-")[0] or 0)
    for number, command in enumerate(commands, start=1):
        if number <= after:
            continue
        note = " (recorded, not run: the stand-in does not execute RUN lines)" if command.startswith("RUN") else ""
        yield pb.ImageJoinStreamingResponse(task_logs=[pb.TaskLogs(data=f"Step {number}/{len(commands)}: {command}{note}\n")],
                                            entry_id=f"{number}-0")
    yield pb.ImageJoinStreamingResponse(result=generic(pb.GenericResult.GENERIC_STATUS_SUCCESS), eof=True)


def SandboxCreate(request, context):
    with lock:
        app_id = request.app_id
        if app_id not in app_names:
            raise Abort(grpc.StatusCode.NOT_FOUND, f"App {app_id} not found")
        name = request.definition.name if request.definition.HasField("name") else ""
        if name and any(s.app_id == app_id and s.name == name and s.result is None for s in sandboxes.values()):
            raise Abort(grpc.StatusCode.ALREADY_EXISTS, f"Sandbox with name '{name}' already exists")
        sandbox = Sandbox(request, app_id)
        sandboxes[sandbox.id] = sandbox
    sandbox.start()
    return pb.SandboxCreateResponse(sandbox_id=sandbox.id)


def SandboxGetFromName(request, context):
    with lock:
        for app_key, app_id in apps.items():
            if app_key == (request.environment_name, request.app_name):
                for s in sandboxes.values():
                    if s.app_id == app_id and s.name == request.sandbox_name and s.result is None:
                        return pb.SandboxGetFromNameResponse(sandbox_id=s.id)
    raise Abort(grpc.StatusCode.NOT_FOUND, f"Sandbox named {request.sandbox_name} not found")


def SandboxWait(request, context):
    sandbox = sandbox_of(request.sandbox_id)
    sandbox.done.wait(max(0.0, min(request.timeout, 300.0)))
    answer = pb.SandboxWaitResponse()
    if sandbox.result is not None:
        answer.result.CopyFrom(sandbox.result)
    return answer


def SandboxGetTunnels(request, context):
    sandbox = sandbox_of(request.sandbox_id)
    answer = pb.SandboxGetTunnelsResponse(tunnels=sandbox.tunnels())
    if sandbox.result is not None:
        answer.result.CopyFrom(sandbox.result)
    return answer


def SandboxGetLogs(request, context):
    sandbox = sandbox_of(request.sandbox_id)
    after = int((request.last_entry_id or "0-0").split("-")[0] or 0)
    wanted = request.file_descriptor
    give_up = time.time() + (request.timeout or 55)
    while context.is_active():
        with sandbox.log_cond:
            fresh = sandbox.log[after:after + 16]
            finished = sandbox.logs_closed >= 2 and sandbox.result is not None
            if not fresh and not finished:
                if time.time() >= give_up:
                    return
                sandbox.log_cond.wait(0.5)
                continue
        if fresh:
            items = [pb.TaskLogs(data=text, file_descriptor=fd) for _, fd, text in fresh
                     if wanted == pb.FILE_DESCRIPTOR_UNSPECIFIED or fd == wanted]
            after = fresh[-1][0]
            yield pb.TaskLogsBatch(task_id=sandbox.task_id, items=items, entry_id=f"{after}-0")
        elif finished:
            yield pb.TaskLogsBatch(task_id=sandbox.task_id, entry_id=f"{after}-0", eof=True)
            return


def SandboxGetTaskId(request, context):
    sandbox = sandbox_of(request.sandbox_id)
    answer = pb.SandboxGetTaskIdResponse(task_id=sandbox.task_id)
    if sandbox.result is not None:
        answer.task_result.CopyFrom(sandbox.result)
    return answer


def TaskGetCommandRouterAccess(request, context):
    sandbox = sandbox_of_task(request.task_id)
    jwt = make_jwt(3600, sandbox.task_id)
    with lock:
        router_jwts[jwt] = sandbox.task_id
    return pb.TaskGetCommandRouterAccessResponse(jwt=jwt, url=f"https://127.0.0.1:{public_port}")


def SandboxTerminate(request, context):
    sandbox = sandbox_of(request.sandbox_id)
    answer = pb.SandboxTerminateResponse()
    if sandbox.result is not None:
        answer.existing_result.CopyFrom(sandbox.result)
        return answer
    sandbox.end("terminated")
    sandbox.done.wait(10)
    return answer


def SandboxList(request, context):
    wanted = {t.tag_name: t.tag_value for t in request.tags}
    with lock:
        chosen = [s for s in sandboxes.values()
                  if (not request.app_id or s.app_id == request.app_id)
                  and (request.include_finished or s.result is None)
                  and (not request.before_timestamp or s.created_at < request.before_timestamp)
                  and all(s.tags.get(k) == v for k, v in wanted.items())]
        chosen.sort(key=lambda s: s.created_at, reverse=True)
        return pb.SandboxListResponse(sandboxes=[s.info() for s in chosen[:args.list_page_size]])


def SandboxTagsSet(request, context):
    sandbox = sandbox_of(request.sandbox_id)
    with lock:
        sandbox.tags = {t.tag_name: t.tag_value for t in request.tags}
    return pb.Empty()


def SandboxGetResourceUsage(request, context):
    sandbox = sandbox_of(request.sandbox_id)
    # Billed as Modal bills: requested CPU (at least 0.125 core) and memory (default 128 MiB)
    # over the time the sandbox lived, GPUs by count.
    elapsed_ns = int(((sandbox.finished_at or time.time()) - sandbox.started_at) * 1e9)
    resources = sandbox.definition.resources
    cpu = max(resources.milli_cpu, 125) / 1000
    memory_gib = (resources.memory_mb or 128) / 1024
    gpu = resources.gpu_config
    answer = pb.SandboxGetResourceUsageResponse(cpu_core_nanosecs=int(elapsed_ns * cpu),
                                                mem_gib_nanosecs=int(elapsed_ns * memory_gib))
    if gpu.gpu_type:
        answer.gpu_nanosecs = elapsed_ns * max(gpu.count, 1)
        answer.gpu_type = gpu.gpu_type
    return answer


def SandboxSnapshotFs(request, context):
    sandbox = sandbox_of(request.sandbox_id)
    return pb.SandboxSnapshotFsResponse(image_id=snapshot(sandbox),
                                        result=generic(pb.GenericResult.GENERIC_STATUS_SUCCESS))


# ---- TaskCommandRouter ----------------------------------------------------------------------
def exec_of(request):
    sandbox = sandbox_of_task(request.task_id)
    with lock:
        found = sandbox.execs.get(request.exec_id)
    if found is None:
        raise Abort(grpc.StatusCode.NOT_FOUND, f"exec {request.exec_id} not found")
    return found


def TaskExecStart(request, context):
    sandbox = sandbox_of_task(request.task_id)
    if sandbox.result is not None:
        raise Abort(grpc.StatusCode.FAILED_PRECONDITION, "the sandbox has finished")
    with lock:
        if request.exec_id not in sandbox.execs:  # the same exec id again is the same exec
            sandbox.execs[request.exec_id] = Exec(sandbox, request)
    return rpb.TaskExecStartResponse()


def TaskExecStdioRead(request, context):
    output = exec_of(request)
    output = output.stderr if request.file_descriptor == rpb.TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDERR else output.stdout
    offset = request.offset
    while context.is_active():
        with output.cond:
            if len(output.data) > offset:
                piece = bytes(output.data[offset:offset + 65536])
            elif output.closed:
                return
            else:
                output.cond.wait(0.5)
                continue
        offset += len(piece)
        yield rpb.TaskExecStdioReadResponse(data=piece)


def TaskExecStdinWrite(request, context):
    running = exec_of(request)
    with lock:
        if request.offset > running.written:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT,
                        f"stdin offset {request.offset} is past the {running.written} bytes written")
        fresh = request.data[running.written - request.offset:]
        try:
            if fresh:
                running.process.stdin.write(fresh)
                running.process.stdin.flush()
            running.written += len(fresh)
            if request.eof and not running.process.stdin.closed:
                running.process.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
    return rpb.TaskExecStdinWriteResponse()


def TaskExecWait(request, context):
    running = exec_of(request)
    while context.is_active():
        try:
            code = running.process.wait(0.5)
        except subprocess.TimeoutExpired:
            continue
        return rpb.TaskExecWaitResponse(signal=-code) if code < 0 else rpb.TaskExecWaitResponse(code=code)
    raise Abort(grpc.StatusCode.CANCELLED, "cancelled")


def TaskSnapshotFilesystem(request, context):
    return rpb.TaskSnapshotFilesystemResponse(image_id=snapshot(sandbox_of_task(request.task_id)))


# ---- the servers ----------------------------------------------------------------------------
def handlers(service, module, names, streams, scope):
    table = {}
    for name in names:
        request_type = getattr(module, name + "Request")
        function = globals()[name]
        if name in streams:
            response_type = {"ImageJoinStreaming": pb.ImageJoinStreamingResponse,
                             "SandboxGetLogs": pb.TaskLogsBatch}.get(name) or getattr(module, name + "Response")
            table[name] = grpc.unary_stream_rpc_method_handler(
                wrap(scope, name, function, True), request_type.FromString, response_type.SerializeToString)
        else:
            response_type = pb.Empty if name == "SandboxTagsSet" else getattr(module, name + "Response")
            table[name] = grpc.unary_unary_rpc_method_handler(
                wrap(scope, name, function, False), request_type.FromString, response_type.SerializeToString)
    return grpc.method_handlers_generic_handler(service, table)


class Proxy:
    """A TCP pass-through in front of the TLS port, so a test can cut every connection."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.open = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop_all(self):
        with lock:
            dropped, self.open = self.open, []
        for s in dropped:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass


class ControlHandler(BaseHTTPRequestHandler):
    """GET /requests[?method=X], POST /faults (a rule or a list), DELETE /faults,
    GET /sandboxes, POST /reset-records, POST /sandboxes/ID/evict (Modal ends it as evicted),
    DELETE /images/ID (an image Modal no longer has)."""

    def log_message(self, *unused):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/requests":
            method = parse_qs(url.query).get("method", [None])[0]
            with lock:
                chosen = [r for r in records if method is None or r["method"] == method]
                self.reply(200, json.loads(json.dumps(chosen)))
        elif url.path == "/sandboxes":
            with lock:
                self.reply(200, [{"id": s.id, "name": s.name, "app_id": s.app_id,
                                  "state": "running" if s.result is None else "finished",
                                  "pid": s.process.pid, "root": s.root} for s in sandboxes.values()])
        else:
            self.reply(404, {"error": "no such path"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)) or 0)
        if self.path == "/faults":
            rules = json.loads(body or b"[]")
            rules = rules if isinstance(rules, list) else [rules]
            known = {"unavailable", "resource_exhausted", "slow", "silent", "cut_stream", "drop_connection",
                     "lose_answer", "expire_auth_token"}
            for rule in rules:
                if rule.get("kind") not in known:
                    return self.reply(400, {"error": f"unknown fault kind {rule.get('kind')}"})
                if rule["kind"] == "drop_connection" and proxy is None:
                    return self.reply(400, {"error": "drop_connection needs the stand-in started --with-proxy"})
            for rule in rules:
                if "for_s" in rule:
                    rule["until"] = time.time() + float(rule["for_s"])
            with lock:
                faults.extend(rules)
            self.reply(200, {"faults": len(faults)})
        elif self.path.startswith("/sandboxes/") and self.path.endswith("/evict"):
            with lock:
                sandbox = sandboxes.get(self.path.split("/")[2])
            if sandbox is None:
                return self.reply(404, {"error": "no such sandbox"})
            sandbox.end("evicted")
            sandbox.done.wait(10)
            self.reply(200, {})
        elif self.path == "/reset-records":
            with lock:
                records.clear()
            self.reply(200, {})
        else:
            self.reply(404, {"error": "no such path"})

    def do_DELETE(self):
        if self.path == "/faults":
            with lock:
                faults.clear()
            self.reply(200, {})
        elif self.path.startswith("/images/"):
            # An image Modal no longer has (a snapshot expired): creates from it are NOT_FOUND.
            with lock:
                gone = images.pop(self.path[len("/images/"):], None)
            self.reply(200 if gone else 404, {})
        else:
            self.reply(404, {"error": "no such path"})


api_names = ["AuthTokenGet", "AppGetOrCreate", "SecretGetOrCreate", "ImageGetOrCreate", "ImageJoinStreaming",
             "SandboxCreate", "SandboxGetFromName", "SandboxWait", "SandboxGetTunnels", "SandboxGetLogs",
             "SandboxGetTaskId", "TaskGetCommandRouterAccess", "SandboxTerminate", "SandboxList",
             "SandboxTagsSet", "SandboxGetResourceUsage", "SandboxSnapshotFs"]
router_names = ["TaskExecStart", "TaskExecStdioRead", "TaskExecStdinWrite", "TaskExecWait", "TaskSnapshotFilesystem"]

server = grpc.server(futures.ThreadPoolExecutor(max_workers=64),
                     options=[("grpc.max_send_message_length", 100 << 20),
                              ("grpc.max_receive_message_length", 100 << 20)])
server.add_generic_rpc_handlers([
    handlers("modal.client.ModalClient", pb, api_names, {"ImageJoinStreaming", "SandboxGetLogs"}, "api"),
    handlers("modal.task_command_router.TaskCommandRouter", rpb, router_names, {"TaskExecStdioRead"}, "router")])
credentials = grpc.ssl_server_credentials([(open(args.key, "rb").read(), open(args.cert, "rb").read())])
grpc_port = server.add_secure_port("127.0.0.1:0", credentials)
server.start()
if args.with_proxy:
    proxy = Proxy(grpc_port)
public_port = proxy.port if proxy else grpc_port
control = ThreadingHTTPServer(("127.0.0.1", 0), ControlHandler)
threading.Thread(target=control.serve_forever, daemon=True).start()


def shut_down(*unused):
    with lock:
        everything = list(sandboxes.values())
    for sandbox in everything:
        sandbox.kill_group(sandbox.process)
        for e in sandbox.execs.values():
            sandbox.kill_group(e.process)
        sandbox.kill_everything()
    server.stop(0)
    os._exit(0)


signal.signal(signal.SIGTERM, shut_down)
signal.signal(signal.SIGINT, shut_down)
print(f"READY grpc={public_port} control={control.server_address[1]}", flush=True)
while True:
    time.sleep(3600)
