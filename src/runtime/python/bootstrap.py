"""The child side of a Python instance: SCF's Python handler contract over scf-local's instance protocol.

Started by the process runtime (`src/runtime/process/`) as `python3 -B -s bootstrap.py` with fd 3 = the
frame pipe (child -> parent: JSON lines, written synchronously, so a frame is in the kernel before the next
statement runs: a function that then spins, exits or is killed has delivered every line it printed) and
fd 4 = the parent's messages (`init`, then `invoke`s: JSON lines, Node's IPC channel in its `json` mode).
fds 1 and 2 are pipes too: output that does not go through `sys.stdout`/`sys.stderr` (a subprocess, C code)
is captured raw by the parent. Both private fds are close-on-exec, so no subprocess of the function holds
them. The protocol, frame by frame, is `src/runtime/process/protocol.ts`; this file mirrors the Node
bootstrap (`src/runtime/node/bootstrap.ts`) and imports nothing but the standard library.

The function's contract, as SCF's Python runtimes define it:
- `index.main_handler(event, context)`: `event` is the parsed event, `context` a dict of SCF's fields; the
  return value is sent as JSON (a coroutine is run to its end with asyncio).
- `print` and `sys.stdout`/`sys.stderr` writes go into the log raw (SCF prints Python output without the
  Node runtime's time/request-id prefix); the `logging` module's root logger writes
  `[LEVEL]\\t<ISO time>\\t<request id>\\t<message>` lines (scf-local's choice: SCF does not document its own).
- The module is imported inside the first invocation, so module-level code runs once per instance and its
  output is in that invocation's log. The code folder is first on `sys.path`: vendored packages import.
- An exception is a 430 with SCF's "user code exception caught" and the traceback (the bootstrap's own
  frame left out); a missing module or handler is a 437; `sys.exit` ends the process (a 439 for the parent).
"""

import asyncio
import datetime
import importlib
import json
import logging
import os
import sys
import threading
import traceback

FRAME_FD = 3
IPC_FD = 4
# Exit codes the parent reads: the parent talked nonsense or vanished; `init` could not be applied.
EXIT_PROTOCOL = 70
EXIT_INIT = 71
# retCodes the child reports (`RET_CODE` of `src/runtime/results.ts`).
USER_CODE_EXCEPTION = 430
HANDLER_NOT_FOUND = 437

for _fd in (FRAME_FD, IPC_FD):
    os.set_inheritable(_fd, False)
    os.set_blocking(_fd, True)

_lock = threading.RLock()


def _write_frame_text(text):
    data = text.encode("utf-8", "surrogatepass")
    view = memoryview(data)
    while view:
        try:
            n = os.write(FRAME_FD, view)
        except InterruptedError:
            continue
        except OSError:
            # The parent is gone: nobody will ever read our results.
            os._exit(EXIT_PROTOCOL)
        view = view[n:]


def send(frame):
    with _lock:
        _write_frame_text(json.dumps(frame, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------------------------------
# Log capture

state = {
    "init": None,
    # The running invocation: {"id", "sent", "dropped"}.
    "running": None,
    "last_id": "undefined",
    "at_line_start": True,
    "last_fd": 1,
    # Output between invocations, delivered with the next one (as if the instance had been frozen).
    "pending": [],
    "pending_bytes": 0,
    "pending_dropped": 0,
}


def _cap():
    init = state["init"]
    return init["maxLogBytes"] if init else 1024 * 1024


def _utf8_len(text):
    return len(text.encode("utf-8", "surrogatepass"))


def _cut_utf8(text, max_bytes):
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= max_bytes:
        return text
    end = max_bytes
    while end > 0 and (data[end] & 0xC0) == 0x80:
        end -= 1
    return data[:end].decode("utf-8", "surrogatepass")


def emit(text):
    """Sends text for the running invocation, or keeps it for the next one; enforces the cap."""
    cap = _cap()
    nbytes = _utf8_len(text)
    running = state["running"]
    if running is None:
        if state["pending_bytes"] + nbytes > cap:
            state["pending_dropped"] += nbytes
            return
        state["pending"].append(text)
        state["pending_bytes"] += nbytes
        return
    room = cap - running["sent"]
    if running["dropped"] == 0 and nbytes <= room:
        _write_frame_text('{"t":"log","d":' + json.dumps(text, ensure_ascii=False) + "}\n")
        running["sent"] += nbytes
        return
    # Past the cap nothing crosses the pipe: a capped log is a prefix of what was written.
    if running["dropped"] > 0 or room <= 0:
        running["dropped"] += nbytes
        return
    kept = _cut_utf8(text, room)
    kept_bytes = _utf8_len(kept)
    if kept:
        _write_frame_text('{"t":"log","d":' + json.dumps(kept, ensure_ascii=False) + "}\n")
    running["sent"] += kept_bytes
    running["dropped"] += nbytes - kept_bytes


def user_write(fd, text):
    """One write of user output, raw; a line left open by one stream is closed before the other writes."""
    if not text:
        return
    with _lock:
        out = ""
        if not state["at_line_start"] and fd != state["last_fd"]:
            out = "\n"
        out += text
        state["at_line_start"] = text.endswith("\n")
        state["last_fd"] = fd
        emit(out)


class LogStream:
    """`sys.stdout` / `sys.stderr` of the function: every write goes into the log at once."""

    def __init__(self, fd, name):
        self._fd = fd
        self.name = name
        self.encoding = "utf-8"
        self.errors = "surrogateescape"

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        user_write(self._fd, s)
        return len(s)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return False

    def fileno(self):
        return self._fd

    @property
    def buffer(self):
        return _BinaryLogStream(self)

    @property
    def closed(self):
        return False


class _BinaryLogStream:
    def __init__(self, text_stream):
        self._text = text_stream

    def write(self, b):
        self._text.write(bytes(b).decode("utf-8", "replace"))
        return len(b)

    def flush(self):
        pass


sys.stdout = LogStream(1, "<stdout>")
sys.stderr = LogStream(2, "<stderr>")


def _iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _ScfFormatter(logging.Formatter):
    def format(self, record):
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            message += "\n" + self.formatStack(record.stack_info)
        running = state["running"]
        rid = running["id"] if running else state["last_id"]
        return "[%s]\t%s\t%s\t%s" % (record.levelname, _iso(record.created), rid, message)


class _ScfHandler(logging.StreamHandler):
    def __init__(self):
        super().__init__(sys.stderr)
        self.setFormatter(_ScfFormatter())

    def emit(self, record):
        # Always the current sys.stderr's target (the log), whatever the function did with sys.stderr.
        try:
            user_write(2, self.format(record) + "\n")
        except Exception:
            self.handleError(record)


logging.getLogger().addHandler(_ScfHandler())

# ---------------------------------------------------------------------------------------------------
# Loading the handler


class InitFailure(Exception):
    def __init__(self, code, message, tb_text):
        super().__init__(message)
        self.code = code
        self.message = message
        self.tb_text = tb_text


handler_fn = None


def _user_traceback(exc):
    """The traceback of an exception raised in user code, without the bootstrap's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip("\n")


def load_handler(spec):
    handler = spec["handler"]
    dot = handler.rfind(".")
    if dot <= 0 or dot == len(handler) - 1:
        raise InitFailure(HANDLER_NOT_FOUND, "Handler not found: %s (expected file.function)" % handler, "")
    file_part, attr = handler[:dot], handler[dot + 1 :]
    module_name = file_part.replace("/", ".")
    path = os.path.join(spec["codeDir"], file_part + ".py")
    if not os.path.isfile(path) and not os.path.isfile(os.path.join(spec["codeDir"], file_part, "__init__.py")):
        raise InitFailure(
            HANDLER_NOT_FOUND,
            "Handler not found: %s (cannot find %s.py in the code)" % (handler, file_part),
            "",
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # A module the handler's file imports is missing (SCF/Lambda: the function cannot be loaded).
        raise InitFailure(
            HANDLER_NOT_FOUND,
            "Unable to import module '%s': %s" % (module_name, exc),
            _user_traceback(exc),
        ) from None
    except SystemExit:
        raise
    except BaseException as exc:
        raise InitFailure(USER_CODE_EXCEPTION, "user code exception caught", _user_traceback(exc)) from None
    fn = getattr(module, attr, None)
    if fn is None or not callable(fn):
        why = "not defined" if fn is None else "not a function"
        raise InitFailure(HANDLER_NOT_FOUND, "Handler not found: %s (%s is %s)" % (handler, attr, why), "")
    return fn


# ---------------------------------------------------------------------------------------------------
# Running one invocation

env_strings = None


def _context(spec, msg):
    global env_strings
    if env_strings is None:
        variables = dict(spec["environment"])
        variables["SCF_NAMESPACE"] = spec["namespace"]
        env_strings = (
            json.dumps(variables, ensure_ascii=False, separators=(",", ":")),
            ";".join("%s=%s" % (k, v) for k, v in variables.items()),
        )
    return {
        "memory_limit_in_mb": spec["memorySize"],
        "time_limit_in_ms": spec["timeout"] * 1000,
        "request_id": msg["id"],
        "environment": env_strings[0],
        "environ": env_strings[1],
        "function_version": msg["q"],
        "function_name": spec["functionName"],
        "namespace": spec["namespace"],
        "tencentcloud_region": spec["region"],
        "tencentcloud_appid": spec["appId"],
        "tencentcloud_uin": spec["uin"],
    }


def _finish(frame):
    with _lock:
        send(frame)
        state["running"] = None
        state["at_line_start"] = True


def send_error(code, message, tb_text, fatal):
    running = state["running"]
    if running is None:
        return
    if tb_text:
        user_write(2, tb_text + "\n")
    elif message:
        user_write(2, message + "\n")
    _finish(
        {
            "t": "done",
            "id": running["id"],
            "ok": False,
            "code": code,
            "msg": message,
            "stack": tb_text,
            "fatal": fatal,
            "drop": running["dropped"],
        }
    )


def _exit_code(exc):
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    # sys.exit("message"): printed to stderr, status 1, as Python does.
    user_write(2, "%s\n" % (code,))
    return 1


def invoke(msg):
    global handler_fn
    spec = state["init"]
    if spec is None or state["running"] is not None:
        os._exit(EXIT_PROTOCOL)
    with _lock:
        state["running"] = {"id": msg["id"], "sent": 0, "dropped": state["pending_dropped"]}
        state["last_id"] = msg["id"]
        state["at_line_start"] = True
        carried = state["pending"]
        state["pending"] = []
        state["pending_bytes"] = 0
        state["pending_dropped"] = 0
        for text in carried:
            emit(text)
    os.environ["SCF_FUNCTIONVERSION"] = msg["q"]
    try:
        if handler_fn is None:
            handler_fn = load_handler(spec)
        event = json.loads(msg["ev"])
        value = handler_fn(event, _context(spec, msg))
        if asyncio.iscoroutine(value):
            value = asyncio.run(value)
        ret = json.dumps(value, ensure_ascii=False)
    except InitFailure as failure:
        send_error(failure.code, failure.message, failure.tb_text, True)
        os._exit(1)
    except SystemExit as exc:
        # sys.exit() in the function ends the process, as on SCF: the parent records a 439.
        code = _exit_code(exc)
        sys.stdout.flush()
        os._exit(code)
    except BaseException as exc:
        send_error(USER_CODE_EXCEPTION, "user code exception caught", _user_traceback(exc), False)
        return
    running = state["running"]
    if running is None:
        return
    _finish({"t": "done", "id": running["id"], "ok": True, "ret": ret, "drop": running["dropped"]})


def preload():
    """
    Loads the function's code outside any invocation (a provisioned instance) and answers `loaded`. What it
    prints while loading belongs to no invocation: it is not carried into the next one's log. Code that fails
    to load ends the process, saying why on fd 2 (the parent reports the start as failed); an invocation
    would fail the same way.
    """
    global handler_fn
    spec = state["init"]
    if spec is None or state["running"] is not None:
        os._exit(EXIT_PROTOCOL)
    if handler_fn is None:
        try:
            handler_fn = load_handler(spec)
        except InitFailure as failure:
            sys.stdout.flush()
            os.write(2, ("the function's code failed to load: %s\n%s" % (failure.message, failure.tb_text)).encode())
            os._exit(EXIT_INIT)
        except SystemExit as exc:
            sys.stdout.flush()
            os._exit(_exit_code(exc))
    sys.stdout.flush()
    sys.stderr.flush()
    state["pending"] = []
    state["pending_bytes"] = 0
    state["pending_dropped"] = 0
    send({"t": "loaded"})


# ---------------------------------------------------------------------------------------------------
# Wiring

_ERROR_FIELDS = ("namespace", "functionName", "handler", "codeDir", "region", "appId", "uin")


def _valid_init(m):
    return (
        all(isinstance(m.get(k), str) for k in _ERROR_FIELDS)
        and isinstance(m.get("memorySize"), (int, float))
        and isinstance(m.get("timeout"), (int, float))
        and isinstance(m.get("maxLogBytes"), (int, float))
        and isinstance(m.get("environment"), dict)
        and isinstance(m.get("env"), dict)
        and all(isinstance(v, str) for v in m["env"].values())
    )


def bind(msg):
    """Binds this process to its function: its code folder, its whole environment, its sys.path."""
    if state["init"] is not None:
        os._exit(EXIT_PROTOCOL)
    try:
        os.chdir(msg["codeDir"])
    except OSError as exc:
        os.write(2, ("cannot enter the code folder: %s\n" % exc).encode())
        os._exit(EXIT_INIT)
    os.environ.clear()
    os.environ.update(msg["env"])
    sys.path.insert(0, msg["codeDir"])
    state["init"] = msg
    send({"t": "bound"})


def _uncaught_thread_exception(args):
    # An exception in a thread the function started: printed into the log, as Python does; the
    # invocation goes on (Python does not end the process for it).
    if args.exc_type is SystemExit:
        return
    user_write(2, "Exception in thread %s:\n" % (args.thread.name if args.thread else "?"))
    user_write(2, "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))


threading.excepthook = _uncaught_thread_exception


def main():
    send({"t": "ready", "pid": os.getpid()})
    buf = b""
    while True:
        try:
            chunk = os.read(IPC_FD, 65536)
        except InterruptedError:
            continue
        except OSError:
            os._exit(0)
        if not chunk:
            # The parent is gone: nobody can send work any more.
            os._exit(0)
        buf += chunk
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                break
            line, buf = buf[:nl], buf[nl + 1 :]
            if not line.strip():
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                os._exit(EXIT_PROTOCOL)
            if not isinstance(msg, dict):
                os._exit(EXIT_PROTOCOL)
            if msg.get("t") == "init" and _valid_init(msg):
                bind(msg)
            elif msg.get("t") == "load":
                preload()
            elif (
                msg.get("t") == "invoke"
                and isinstance(msg.get("id"), str)
                and isinstance(msg.get("q"), str)
                and isinstance(msg.get("ev"), str)
            ):
                invoke(msg)
            else:
                os._exit(EXIT_PROTOCOL)


if __name__ == "__main__":
    main()
