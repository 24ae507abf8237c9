# Copied from generator/runtime/cli.py by generator/regenerate.py. Do not edit here: edit the source.
"""``processor-tasks``: list and describe processing tasks from a shell.

    processor-tasks list [filters] [--all [--concurrency N]] [--output table|json|jsonl] [--timeout SECONDS]
    processor-tasks describe TASK_ID [--output json|table] [--timeout SECONDS]
    processor-tasks wait TASK_ID [--until STATE ...] [--timeout SECONDS] [--poll SECONDS] [--quiet]

Credentials and endpoint come from the same environment variables as
``ProcessorTasks.from_env()`` (see :mod:`.environment`). Every filter option, its choices,
its range and its help text are built at run time from ``_contract.py``, which the generator
writes from the spec, so the command line cannot drift from the contract.

``--timeout SECONDS`` (or ``PROCESSOR_TASKS_TIMEOUT``; the option wins) is the client's
``call_timeout``: how long one request may take, retries and their waits included (with
``--all``, each page). Past it the command ends with exit code 11.

``wait`` polls the task until its status is final, as the contract's ``x-waiters`` says
(``describe_processor_task.wait``): progress on stderr (``--quiet`` silences it), the final
task (or the last one seen, when the wait fails) as JSON on stdout, and one exit code per
outcome. There ``--timeout`` is the whole wait's (default: the contract's); each poll is cut
off when it runs out.

``--all`` walks every page (``--limit`` is then the page size) and writes each task as soon
as its page arrives, so memory stays flat however many tasks match; progress goes to stderr
(``--quiet`` silences it). ``--concurrency N`` fetches up to N pages side by side (default 1,
one at a time), still written in page order; a 429 or 503 slows the walk down (see
``pagination.py``), and Ctrl-C stops it without waiting for the pages in flight.
``--output jsonl`` is one JSON object per task and line,
``json`` one document (a page, or with ``--all`` an array of tasks), ``table`` aligned
columns.

Exit codes (one per error class; the message on stderr is the typed error's):
    0  success                          7  BadRequestError (400)
    1  any other ProcessorTasksError     8  RateLimitError (429, after retries)
    2  usage: bad option or value        9  ServerError (5xx, after retries)
    3  ConfigurationError (environment)  10 UnexpectedStatus (an undocumented status)
    4  AuthenticationError (401)         11 APITimeoutError
    5  PermissionDeniedError (403)       12 APIConnectionError (no answer)
    6  NotFoundError (a missing project   13 ResponseDecodeError (an answer off the contract)
       or API)                           14 ProjectMismatchError (credentials of another project)
                                         15 TaskNotFoundError (no such task)
                                         16 ResponseTooLargeError (answer past the size cap)
                                         17 PagingError (a page walk that cannot go on)
                                         18 ClientClosedError (a call on a closed client)
                                         19 CredentialsError (the provider has none)
    wait: 0 the state waited for; 15 no such task; 20 TaskDeletedError (deleted while
    waiting); 21 WaitTimeoutError; 22 WaitError (another final state); from 23 on, one per
    failure state of the contract, in its order: 23 FAILED, 24 STOPPED (TaskFailedError)
                                         130 interrupted (Ctrl-C); 141 stdout closed (a pipe)
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import closing
from typing import Any, TextIO

from . import __version__, errors, models
from ._contract import CONTRACT
from ._transfer import DEFAULT_CALL_TIMEOUT
from .api.processor_tasks import describe_processor_task, list_processor_tasks
from .environment import ENV_TIMEOUT, client_from_env, parse_seconds
from .pagination import MAX_CONCURRENCY
from .waiter import WaitProgress

PROG = "processor-tasks"

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CODES: dict[type[BaseException], int] = {
    errors.ConfigurationError: 3,
    errors.AuthenticationError: 4,
    errors.PermissionDeniedError: 5,
    errors.ProjectMismatchError: 14,
    errors.NotFoundError: 6,
    errors.TaskNotFoundError: 15,
    errors.BadRequestError: 7,
    errors.RateLimitError: 8,
    errors.ServerError: 9,
    errors.UnexpectedStatus: 10,
    errors.APITimeoutError: 11,
    errors.APIConnectionError: 12,
    errors.ResponseDecodeError: 13,
    errors.ResponseTooLargeError: 16,
    errors.PagingError: 17,
    errors.ClientClosedError: 18,
    errors.CredentialsError: 19,
    errors.TaskDeletedError: 20,
    errors.WaitTimeoutError: 21,
    errors.WaitError: 22,
    # TaskFailedError: the code of its failure state (WAIT_FAILURE_EXIT_CODES), this one for others.
    errors.TaskFailedError: 23,
    # The client refuses a parameter value before sending it (a comma in a list value): usage.
    ValueError: EXIT_USAGE,
    errors.ProcessorTasksError: EXIT_ERROR,
}
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
# What --help says about each code; tests check it covers every code above.
EXIT_MEANINGS: dict[int, str] = {
    EXIT_OK: "ok",
    EXIT_ERROR: "other client error",
    EXIT_USAGE: "usage",
    3: "configuration",
    4: "authentication (401)",
    5: "permission denied (403)",
    6: "not found",
    7: "bad request (400)",
    8: "rate limited (429)",
    9: "server error (5xx)",
    10: "unexpected status",
    11: "timeout",
    12: "connection failed",
    13: "answer off the contract",
    14: "credentials of another project",
    15: "no such task",
    16: "answer larger than the client's cap",
    17: "page walk stopped",
    18: "client closed",
    19: "no credentials from the provider",
    20: "task deleted while waiting",
    21: "wait timed out",
    22: "task reached another final state",
    EXIT_INTERRUPTED: "interrupted",
    EXIT_BROKEN_PIPE: "stdout closed",
}

TABLE_COLUMNS = (("task_id", 22), ("status", 11), ("type", 21), ("created (UTC)", 19), ("name", 0))


def exit_code_for(error: BaseException) -> int:
    """The documented exit code of an error: that of the nearest class in its MRO (a failed
    wait: that of its failure state)."""
    if isinstance(error, errors.TaskFailedError):
        for value, code in WAIT_FAILURE_EXIT_CODES.items():
            if error.status == value and not isinstance(error.status, bool):
                return code
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return EXIT_ERROR


def _operation(operation_id: str) -> tuple[str, dict[str, Any]]:
    for key, operation in CONTRACT["operations"].items():
        if operation["operation_id"] == operation_id:
            return key, operation
    raise LookupError(f"the contract has no operation {operation_id}")  # only if the spec renames it


LIST_KEY, LIST_OPERATION = _operation("ListProcessorTasks")
DESCRIBE_KEY, DESCRIBE_OPERATION = _operation("DescribeProcessorTask")
PAGING: dict[str, Any] = CONTRACT["pagination"][LIST_KEY]
# The `wait` command and --concurrency exist when the contract describes them (x-waiters,
# x-pagination.concurrency): a client built from a contract without them has neither.
WAITER: dict[str, Any] | None = CONTRACT["waiters"].get(DESCRIBE_KEY, {}).get("wait")
CONCURRENT_PAGING = bool(PAGING.get("concurrency"))
# One exit code per failure state of the contract's waiter, in the contract's order (23 FAILED, ...).
WAIT_FAILURE_EXIT_CODES: dict[Any, int] = {
    value: 23 + i for i, (_, value) in enumerate(WAITER["failure"] if WAITER else [])
}
EXIT_MEANINGS.update({23 + i: f"task {name}" for i, (name, _) in enumerate(WAITER["failure"] if WAITER else [])})
BOUND = "project_id"  # from the environment, as ProcessorTasks.from_env() does


def _help(entry: Mapping[str, Any]) -> str:
    return str(entry["doc"]).replace("%", "%%")  # argparse formats help with %


def _int_type(entry: Mapping[str, Any]) -> Callable[[str], int]:
    low, high = entry.get("minimum"), entry.get("maximum")

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    parse.__name__ = "integer"  # what argparse calls the type in its messages
    return parse


def _convert(entry: Mapping[str, Any], raw: Any) -> Any:
    """A parsed option value in the type the generated function takes."""
    if "enum" in entry and "model" in entry:
        enum_class = getattr(models, entry["model"])
        return enum_class(int(raw) if entry["type"] == "integer" else raw)
    if entry["type"] == "boolean":
        return raw == "true"
    return raw


def _add_parameter(parser: argparse.ArgumentParser, entry: Mapping[str, Any]) -> None:
    name = entry["name"]
    if entry["in"] == "path":
        parser.add_argument(name, metavar=name.upper(), help=_help(entry))
        return
    options: dict[str, Any] = {"dest": name, "help": _help(entry), "default": None}
    if "enum" in entry:
        options["choices"] = list(entry["enum"])
        options["metavar"] = "{" + ",".join(entry["enum"]) + "}"
    elif entry["type"] == "boolean":
        options["choices"] = ["true", "false"]
    elif entry["type"] == "integer":
        options["type"] = _int_type(entry)
        options["metavar"] = "N"
    if entry["array"]:
        options["action"] = "append"
        options["metavar"] = options.get("metavar", "VALUE")
        options["help"] += " Give the option once per value."
    parser.add_argument("--" + name.replace("_", "-"), **options)


def _seconds(text: str) -> float:
    try:
        return parse_seconds(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


_seconds.__name__ = "seconds"  # what argparse calls the type in its messages


def _concurrency(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_CONCURRENCY}, got {value}")
    return value


_concurrency.__name__ = "concurrency"  # what argparse calls the type in its messages


def _add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="most seconds one request may take, retries and their waits included (with --all: each "
        f"page); past it the command exits 11. Default: {ENV_TIMEOUT} if set, else {DEFAULT_CALL_TIMEOUT:g} s",
    )


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions paragraph by paragraph, keeping the contract's ``- `` lists as lists.

    argparse's own formatter runs every description into one paragraph, which turns the
    list operation's "How values are read:" list into a run-on sentence.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks = []
        for paragraph in re.split(r"\n\s*\n", text.strip()):
            lines: list[str] = []
            for item in re.split(r"\n\s*(?=- )", paragraph):
                words = " ".join(item.split())
                hanging = indent + ("  " if words.startswith("- ") else "")
                lines += textwrap.wrap(words, width, initial_indent=indent, subsequent_indent=hanging)
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; its filters, choices and help come from the contract."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=_HelpFormatter,
        description="Query ModelArts processing tasks. Endpoint and credentials come from the environment "
        "(PROCESSOR_TASKS_BASE_URL or HUAWEICLOUD_SDK_REGION, HUAWEICLOUD_SDK_PROJECT_ID, and PROCESSOR_TASKS_TOKEN or "
        "HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK).",
        epilog="Exit codes: " + ", ".join(f"{code} {text}" for code, text in sorted(EXIT_MEANINGS.items())) + ".",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser(
        "list",
        help=LIST_OPERATION["summary"],
        description=LIST_OPERATION["description"],
        formatter_class=_HelpFormatter,
    )
    for entry in LIST_OPERATION["parameters"].values():
        if entry["name"] != BOUND:
            _add_parameter(listing, entry)
    listing.add_argument(
        "--all",
        action="store_true",
        help=f"walk every page ({PAGING['page-param']} must not be given; --{PAGING['limit-param']} is the page "
        "size) and stream the tasks as their pages arrive",
    )
    if CONCURRENT_PAGING:
        listing.add_argument(
            "--concurrency",
            type=_concurrency,
            metavar="N",
            help=f"with --all: fetch up to N pages side by side, 1 to {MAX_CONCURRENCY} (default: 1, one at a "
            "time, so that a rate-limited server is not hit harder than it asks for); a 429 or 503 slows the "
            "walk down",
        )
    listing.add_argument("--output", choices=["table", "json", "jsonl"], default="table", help="default: table")
    listing.add_argument("--quiet", action="store_true", help="no progress on stderr with --all")
    listing.add_argument(
        "--strict",
        action="store_true",
        help="with --all: fail (exit 17) instead of warning when the list changed during the walk",
    )
    _add_timeout(listing)

    describe = commands.add_parser(
        "describe",
        help=DESCRIBE_OPERATION["summary"],
        description=DESCRIBE_OPERATION["description"],
        formatter_class=_HelpFormatter,
    )
    for entry in DESCRIBE_OPERATION["parameters"].values():
        if entry["name"] != BOUND:
            _add_parameter(describe, entry)
    describe.add_argument("--output", choices=["json", "table"], default="json", help="default: json")
    _add_timeout(describe)

    if WAITER is not None:
        _add_wait_command(commands, WAITER)
    return parser


def _add_wait_command(commands: argparse._SubParsersAction[argparse.ArgumentParser], waiter: Mapping[str, Any]) -> None:
    states = [name for key in ("success", "failure", "pending") for name, _ in waiter[key]]
    waiting = commands.add_parser(
        "wait",
        help="Wait until a task's status is final",
        description=waiter["description"],
        formatter_class=_HelpFormatter,
    )
    for entry in DESCRIBE_OPERATION["parameters"].values():
        if entry["name"] != BOUND and entry["in"] == "path":
            _add_parameter(waiting, entry)
    waiting.add_argument(
        "--until",
        action="append",
        type=str.upper,
        choices=states,
        metavar="{" + ",".join(states) + "}",
        help=f"a {waiter['field']} that ends the wait with exit 0; give it once per value "
        f"(default: {', '.join(name for name, _ in waiter['success'])})",
    )
    waiting.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help=f"most seconds to wait in all, failed polls included; past it the command exits 21. "
        f"Default: {waiter['timeout']:g} s",
    )
    waiting.add_argument(
        "--poll",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help=f"pause between polls, with jitter (default: {waiter['delay']:g} s, growing {waiter['multiplier']:g}x "
        f"per poll up to {waiter['max-delay']:g} s)",
    )
    waiting.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _arguments(operation: Mapping[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for entry in operation["parameters"].values():
        name = entry["name"]
        if name == BOUND or entry["in"] == "path":
            continue
        raw = getattr(args, name, None)
        if raw is not None:
            chosen[name] = [_convert(entry, item) for item in raw] if entry["array"] else _convert(entry, raw)
    return chosen


def _cell(task: Mapping[str, Any], column: str) -> str:
    if column == "status":
        value = task.get("status")
        names = dict(zip(_enum_values("status"), _enum_names("status"), strict=False))
        return names.get(str(value), str(value)).lower() if value is not None else "-"
    if column == "type":
        template = task.get("template")
        return str(template.get("id", "-")) if isinstance(template, Mapping) else "-"
    if column == "created (UTC)":
        created = task.get("create_time")
        if isinstance(created, int) and not isinstance(created, bool):
            moment = datetime.datetime.fromtimestamp(created / 1000, tz=datetime.UTC)
            return moment.strftime("%Y-%m-%d %H:%M:%S")
        return "-"
    value = task.get(column)
    return "-" if value is None else str(value)


def _enum_values(parameter: str) -> list[str]:
    return list(LIST_OPERATION["parameters"].get(parameter, {}).get("enum", []))


def _enum_names(parameter: str) -> list[str]:
    return list(LIST_OPERATION["parameters"].get(parameter, {}).get("enum_names", []))


def _table_header() -> str:
    return "  ".join(name.ljust(width) if width else name for name, width in TABLE_COLUMNS).rstrip()


def _table_row(task: Mapping[str, Any]) -> str:
    cells = (_cell(task, name) for name, _ in TABLE_COLUMNS)
    return "  ".join(c.ljust(w) if w else c for c, (_, w) in zip(cells, TABLE_COLUMNS, strict=True)).rstrip()


class _Progress:
    """Progress of a walk on stderr: one rewritten line on a terminal, a line per page elsewhere."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()

    def page(self, number: int, seen: int, total: int) -> None:
        if self.enabled:
            text = f"{PROG}: page {number + 1}: {seen} of {total} tasks"
            self.stream.write(("\r" + text) if self.tty else (text + "\n"))
            self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _write_list(pages: Iterable[Any], output: str, out: TextIO, progress: _Progress | None, single_page: bool) -> None:
    """Write tasks page by page; nothing but the current page is held in memory."""
    items, total_field = PAGING["items"], PAGING["total"]
    if output == "table":
        out.write(_table_header() + "\n")
    first = True
    seen = 0
    for number, page in enumerate(pages):
        document = page.to_dict()
        tasks = document.get(items, [])
        if output == "json" and single_page:
            out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        else:
            for task in tasks:
                if output == "jsonl":
                    out.write(json.dumps(task, ensure_ascii=False, separators=(",", ":")) + "\n")
                elif output == "json":
                    out.write(("[\n  " if first else ",\n  ") + json.dumps(task, ensure_ascii=False))
                else:
                    out.write(_table_row(task) + "\n")
                first = False
        out.flush()
        seen += len(tasks)
        if progress is not None:
            progress.page(number, seen, int(document.get(total_field, seen)))
    if output == "json" and not single_page:
        out.write("[]\n" if first else "\n]\n")
    if progress is not None:
        progress.done()


def _describe(task: Any, output: str, out: TextIO) -> None:
    document = task.to_dict()
    if output == "json":
        out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    for key, value in document.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        out.write(f"{key}: {shown}\n")


def _wait_progress(err: TextIO, task_id: str) -> Callable[[WaitProgress], None]:
    def show(progress: WaitProgress) -> None:
        state = progress.state or ("no answer" if progress.error else "unknown")
        after = f"in {progress.next_poll_in:.1f} s" if progress.next_poll_in is not None else "no more"
        err.write(
            f"{PROG}: task {task_id}: {state} after {progress.elapsed:.1f} s (poll {progress.polls}); next poll {after}\n"
        )
        err.flush()

    return show


def _path_arguments(args: argparse.Namespace) -> list[Any]:
    return [
        getattr(args, entry["name"])
        for entry in DESCRIBE_OPERATION["parameters"].values()
        if entry["in"] == "path" and entry["name"] != BOUND
    ]


def _wait(args: argparse.Namespace, client: Any, project_id: str, out: TextIO, err: TextIO) -> int:
    path_args = _path_arguments(args)
    assert WAITER is not None  # the command exists only with a waiter
    # getattr: the function is generated only from a contract with a waiter.
    wait = getattr(describe_processor_task, "wait")  # noqa: B009
    try:
        task = wait(
            project_id,
            *path_args,
            client=client,
            until=args.until,
            timeout=args.timeout if args.timeout is not None else float(WAITER["timeout"]),
            poll=args.poll,
            progress=None if args.quiet else _wait_progress(err, " ".join(map(str, path_args))),
        )
    except errors.WaitError as error:
        # The last task seen still goes to stdout, so a script can read its status and error_msg.
        if error.task is not None:
            _describe(error.task, "json", out)
        raise
    _describe(task, "json", out)
    return EXIT_OK


def run(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    """Carry out parsed arguments; errors propagate to :func:`main`, which maps them to exit codes."""
    # Only a given --timeout overrides: otherwise the variable, then the client's default, decide.
    # For `wait`, --timeout bounds the whole wait instead, and each poll is cut off by it.
    client_args: dict[str, Any] = (
        {} if args.timeout is None or args.command == "wait" else {"call_timeout": args.timeout}
    )
    client, project_id = client_from_env(environ, **client_args)
    with client:
        if args.command == "wait":
            return _wait(args, client, project_id, out, err)
        if args.command == "describe":
            task = describe_processor_task.sync(project_id, *_path_arguments(args), client=client)
            _describe(task, args.output, out)
            return EXIT_OK
        kwargs = _arguments(LIST_OPERATION, args)
        if args.all:
            kwargs.pop(PAGING["page-param"], None)
            if CONCURRENT_PAGING:
                kwargs["concurrency"] = args.concurrency or 1
            walk = list_processor_tasks.iter_pages(project_id, client=client, strict=args.strict, **kwargs)
            # closing(): the walk ends, with its pages in flight, before the client closes.
            with closing(walk) as pages:
                _write_list(pages, args.output, out, _Progress(err, not args.quiet), single_page=False)
        else:
            page = list_processor_tasks.sync(project_id, client=client, **kwargs)
            _write_list([page], args.output, out, None, single_page=True)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point of the ``processor-tasks`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "all", False) and getattr(args, PAGING["page-param"], None) is not None:
        parser.error(f"--all walks every page; do not give --{PAGING['page-param']}")
    if getattr(args, "concurrency", None) is not None and not args.all:
        parser.error("--concurrency applies to --all only")
    # The client logs give-ups and doubtful page walks at WARNING; without a handler Python
    # would print them bare. Here they read like the command's other messages.
    logger = logging.getLogger("processor_tasks_client")  # the name retry.py and pagination.py log to
    handler: logging.Handler | None = None
    if not logger.hasHandlers():
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter(f"{PROG}: warning: %(message)s"))
        logger.addHandler(handler)
    try:
        return run(args, os.environ if environ is None else environ, sys.stdout, sys.stderr)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`); point stdout at devnull so the exit flush cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (errors.ProcessorTasksError, ValueError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return exit_code_for(error)
    finally:
        if handler is not None:
            logger.removeHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
