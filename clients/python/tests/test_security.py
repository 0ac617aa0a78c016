"""Tokens, TLS and mutual TLS from Python, with the certificates the README's test-CA block makes
(run as written): the client and the worker reach a master that asks for all three, and a client
missing the token or its certificate is refused."""
import re
import subprocess
import unittest
from pathlib import Path

import grpc

from helpers import PROJECT_ROOT, ClusterTestCase, wait_for
from nucleus_client import Client, NucleusError, Tls


def readme_ca_script() -> str:
    match = re.search(r'<!-- test-ca:begin -->\s*```sh\n(.*?)```\s*<!-- test-ca:end -->', (PROJECT_ROOT / 'README.md').read_text(), re.S)
    if not match:
        raise AssertionError('README.md has no test-ca block')
    return match.group(1)


class SecurityTest(ClusterTestCase):
    def test_given_a_master_with_mutual_tls_and_a_token_then_python_client_and_worker_need_both(self):
        subprocess.run(['sh', '-e', '-c', readme_ca_script()], cwd=self.tmp, check=True, capture_output=True)
        certs = Path(self.tmp, 'certs')
        token = (certs / 'token').read_text().strip()
        address = self.procs.master(self.db(), '--tls-cert', str(certs / 'master.crt'), '--tls-key', str(certs / 'master.key'),
                                    '--tls-client-ca', str(certs / 'ca.crt'), '--token-file', str(certs / 'token'))
        master = 'localhost:' + address.rsplit(':', 1)[1]
        tls = Tls(ca=str(certs / 'ca.crt'), cert=str(certs / 'client.crt'), key=str(certs / 'client.key'))

        # A worker with the CA, its certificate and the token (from a file) connects.
        self.procs.py_worker('py-tls', master, '--tls-ca', tls.ca, '--tls-cert', tls.cert, '--tls-key', tls.key,
                             '--token-file', str(certs / 'token'))
        with Client([master], token=token, tls=tls, timeout=10) as client:
            self.wait_for_workers(client, ['py-tls'])
            job_id = client.submit('square', {'n': 9})
            job = wait_for(lambda: (lambda j: j if j.finished else None)(client.get(job_id)), 'the job to finish')
            self.assertEqual(81, job.result['square'])

        # A worker without the token is refused for good: exit 5, one line.
        tokenless = self.procs.py_worker('py-no-token', master, '--tls-ca', tls.ca, '--tls-cert', tls.cert, '--tls-key', tls.key)
        self.assertEqual(5, tokenless.wait(30), tokenless.tail())
        self.assertRegex(tokenless.stderr(), r'error: UNAUTHENTICATED: the master at localhost:\d+ refused this worker')

        # A client without the token: UNAUTHENTICATED.
        with Client([master], tls=tls, timeout=10) as client:
            with self.assertRaises(NucleusError) as caught:
                client.stats()
            self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, caught.exception.code)
        # Without a client certificate: the handshake fails, nothing reaches the master.
        with Client([master], token=token, tls=Tls(ca=tls.ca), timeout=5) as client:
            with self.assertRaises(NucleusError) as caught:
                client.stats()
            self.assertEqual(grpc.StatusCode.UNAVAILABLE, caught.exception.code)
        # A certificate without its key is named before anything is sent.
        with self.assertRaises(NucleusError) as caught:
            Client([master], tls=Tls(ca=tls.ca, cert=tls.cert)).stats()
        self.assertIn('tls.key', caught.exception.message)


if __name__ == '__main__':
    unittest.main()
