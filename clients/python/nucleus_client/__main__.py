"""`python -m nucleus_client submit|status|result|worker`: the package from a shell.

Exit codes (as the nucleus CLI's): 0 ok; 1 the job failed (with --wait) or the request was
refused; 2 usage error or bad input; 3 the master could not be reached or did not answer in
time; 4 no such job; 5 the worker was refused for good (bad hello, missing or wrong token, or id
in use).
"""
import argparse
import importlib
import json
import logging
import os
import re
import sys
from typing import Any, List, Optional

import grpc

from . import Client, Tls, Worker
from ._channel import DEFAULT_MASTER
from .errors import NucleusError, WorkerRefused
from .jobs import Job

EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_NOT_FOUND, EXIT_REFUSED = 1, 2, 3, 4, 5
_UNITS = {'ms': 0.001, 's': 1, 'm': 60, 'h': 3600, 'd': 86400}


def duration(text: str) -> float:
    """`500ms`, `30s`, `5m`, `1h`, or plain seconds -> seconds."""
    match = re.fullmatch(r'\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*', text)
    if not match:
        raise argparse.ArgumentTypeError(f'"{text}" is not a duration (e.g. 500ms, 30s, 5m)')
    return float(match.group(1)) * _UNITS[match.group(2) or 's']


def exit_code(error: NucleusError) -> int:
    if isinstance(error, WorkerRefused):
        return EXIT_REFUSED
    if error.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED):
        return EXIT_USAGE
    if error.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return EXIT_UNREACHABLE
    if error.code == grpc.StatusCode.NOT_FOUND:
        return EXIT_NOT_FOUND
    return EXIT_FAILED


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('-m', '--master', default=os.environ.get('NUCLEUS_MASTER', DEFAULT_MASTER),
                        help=f'master address(es), host:port[,host:port]; env NUCLEUS_MASTER; default {DEFAULT_MASTER}')
    common.add_argument('--token', default=os.environ.get('NUCLEUS_TOKEN'), help='token the master asks for; env NUCLEUS_TOKEN')
    common.add_argument('--token-file', default=os.environ.get('NUCLEUS_TOKEN_FILE'),
                        help='read the token from this file instead (keeps it out of ps); env NUCLEUS_TOKEN_FILE')
    common.add_argument('--tls-ca', help='connect with TLS, trusting this CA (PEM)')
    common.add_argument('--tls-cert', help='client certificate (PEM) for mutual TLS')
    common.add_argument('--tls-key', help='private key (PEM) of --tls-cert')
    common.add_argument('--rpc-timeout', type=duration, default=10.0, help='deadline of each call (default 10s)')
    common.add_argument('--json', action='store_true', help='print one JSON document on stdout')

    top = argparse.ArgumentParser(prog='python -m nucleus_client', description='Nucleus from Python.',
                                  epilog='exit codes: 0 ok, 1 job failed or request refused, 2 usage or bad input, 3 master unreachable, 4 no such job, 5 worker refused for good (bad hello, token, id in use)')
    commands = top.add_subparsers(dest='command', required=True)

    submit = commands.add_parser('submit', parents=[common], help='submit a job; prints its id (or, with --wait, its result)')
    submit.add_argument('type', help='job type')
    submit.add_argument('payload', nargs='?', help='payload: JSON, or a plain string when it is not JSON')
    submit.add_argument('-q', '--queue')
    submit.add_argument('--priority', type=int, help='0..10, 0 runs first (default 5)')
    submit.add_argument('--retries', type=int, help='retries after a failed attempt (default 3)')
    submit.add_argument('--timeout', type=duration, help='timeout per attempt (default: the master\'s, 30s)')
    submit.add_argument('--delay', type=duration, help='run after this delay')
    submit.add_argument('--key', help='idempotency key')
    submit.add_argument('-w', '--wait', action='store_true', help='wait for the job to finish and print its result')
    submit.add_argument('--wait-timeout', type=duration, default=300.0, help='how long --wait waits (default 5m)')

    status = commands.add_parser('status', parents=[common], help="print a job's state")
    status.add_argument('job_id')

    result = commands.add_parser('result', parents=[common], help="print a job's result")
    result.add_argument('job_id')
    result.add_argument('-w', '--wait', action='store_true', help='wait for the job to finish')
    result.add_argument('--wait-timeout', type=duration, default=300.0, help='how long --wait waits (default 5m)')

    worker = commands.add_parser('worker', parents=[common], help='run Python handlers as a worker')
    worker.add_argument('--handlers', required=True,
                        help='module[:name] with a dict of handlers {"type": fn(payload, ctx)}; name defaults to HANDLERS')
    worker.add_argument('--id', help='worker id, unique per worker (default <hostname>-<pid>)')
    worker.add_argument('-c', '--concurrency', type=int, default=4, help='jobs run at once (default 4)')
    worker.add_argument('-q', '--queues', default='default', help='queues to take jobs from, comma-separated (default: default)')
    worker.add_argument('--grace', type=duration, default=30.0, help='on SIGTERM, how long running jobs may finish (default 30s)')
    worker.add_argument('--log-level', default='info', choices=['debug', 'info', 'warning', 'error'])
    return top


def tls_of(args: argparse.Namespace) -> Optional[Tls]:
    if args.tls_ca or args.tls_cert or args.tls_key:
        return Tls(ca=args.tls_ca, cert=args.tls_cert, key=args.tls_key)
    return None


def token_of(args: argparse.Namespace) -> Optional[str]:
    if not args.token_file:
        return args.token
    try:
        with open(args.token_file, encoding='utf-8') as f:
            return f.readline().strip()
    except OSError as error:
        raise NucleusError(grpc.StatusCode.INVALID_ARGUMENT, f'--token-file: cannot read {args.token_file} ({error.strerror})') from None


def parse_payload(text: Optional[str]) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def show(job: Job, args: argparse.Namespace, result_only: bool) -> int:
    failed = job.finished and job.status != 'completed'
    if args.json:
        print(json.dumps(job.to_dict()))
    elif result_only and job.status == 'completed':
        value = job.to_dict()['result']
        print(value if isinstance(value, str) else json.dumps(value))
    else:
        line = f'job {job.id}: {job.status} (type {job.type}, queue {job.queue}, attempt {job.attempt}'
        line += f', worker {job.worker_id})' if job.worker_id else ')'
        print(line + (f': {job.error}' if job.error else ''))
    return EXIT_FAILED if failed else 0


def load_handlers(spec: str) -> dict:
    module_name, _, name = spec.partition(':')
    sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    handlers = getattr(module, name or 'HANDLERS', None)
    if not isinstance(handlers, dict):
        raise NucleusError(grpc.StatusCode.INVALID_ARGUMENT, f'--handlers: {module_name} has no dict {name or "HANDLERS"}')
    return handlers


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == 'worker':
            logging.basicConfig(level=args.log_level.upper(), format='%(asctime)s %(levelname)s %(name)s: %(message)s', stream=sys.stderr)
            worker = Worker(args.master, id=args.id, concurrency=args.concurrency, handlers=load_handlers(args.handlers),
                            queues=[q.strip() for q in args.queues.split(',') if q.strip()], token=token_of(args), tls=tls_of(args), grace=args.grace)
            worker.run()
            return 0
        with Client(args.master, token=token_of(args), tls=tls_of(args), timeout=args.rpc_timeout) as client:
            if args.command == 'submit':
                options = {'queue': args.queue, 'priority': args.priority, 'max_retries': args.retries, 'timeout': args.timeout,
                           'delay': args.delay, 'idempotency_key': args.key}
                job_id = client.submit(args.type, parse_payload(args.payload), **{k: v for k, v in options.items() if v is not None})
                if not args.wait:
                    print(json.dumps({'id': job_id}) if args.json else job_id)
                    return 0
                return show(client.result(job_id, wait=args.wait_timeout), args, result_only=True)
            if args.command == 'status':
                return show(client.get(args.job_id), args, result_only=False)
            job = client.result(args.job_id, wait=args.wait_timeout if args.wait else False)
            if not job.finished and not args.json:
                print(f'job {job.id}: {job.status} (not finished)')
                return EXIT_FAILED
            return show(job, args, result_only=True)
    except NucleusError as error:
        if getattr(args, 'json', False):
            print(json.dumps({'error': {'code': error.code_name, 'message': error.message}}))
        print(f'error: {error}', file=sys.stderr)
        return exit_code(error)
    except ImportError as error:
        print(f'error: --handlers: cannot import {args.handlers} ({error})', file=sys.stderr)
        return EXIT_USAGE


if __name__ == '__main__':
    sys.exit(main())
