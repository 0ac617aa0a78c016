"""Nucleus from Python: a client that submits and manages jobs, and a worker that runs Python
handlers, both speaking the gRPC contract in proto/nucleus/v1/.

    from nucleus_client import Client, Worker
"""
from ._channel import Tls
from .client import Client
from .errors import NonRetryableError, NucleusError, WorkerRefused
from .jobs import TERMINAL, Attempt, Job
from .attempt import Context
from .worker import Worker

__version__ = '0.1.0'
__all__ = ['Client', 'Worker', 'Context', 'Job', 'Attempt', 'Tls', 'NucleusError', 'NonRetryableError', 'WorkerRefused', 'TERMINAL']
