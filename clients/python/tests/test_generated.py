"""The generated code is committed; it must be exactly what tools/generate.py makes from proto/
today, so that the contract and the Python code never drift apart."""
import filecmp
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from helpers import PACKAGE_ROOT

GENERATED = PACKAGE_ROOT / 'nucleus_client' / '_generated'


def files(root: Path) -> list:
    return sorted(str(p.relative_to(root)) for p in root.rglob('*') if p.is_file() and '__pycache__' not in p.parts)


class GeneratedCodeTest(unittest.TestCase):
    def test_given_proto_when_generated_afresh_then_every_file_equals_the_committed_one(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / 'generated'
            subprocess.run([sys.executable, str(PACKAGE_ROOT / 'tools' / 'generate.py'), '--out', str(out)], check=True, capture_output=True)
            names = files(out)
            self.assertEqual(files(GENERATED), names, 'generated files differ: run /usr/bin/python3 clients/python/tools/generate.py')
            for name in names:
                self.assertTrue(filecmp.cmp(GENERATED / name, out / name, shallow=False), f'{name} is stale: run /usr/bin/python3 clients/python/tools/generate.py')

    def test_given_the_stubs_then_they_name_every_rpc_of_the_contract(self):
        from nucleus_client._generated.nucleus.v1 import jobs_pb2, jobs_pb2_grpc, worker_pb2, worker_pb2_grpc
        for module, stubs in ((jobs_pb2, jobs_pb2_grpc), (worker_pb2, worker_pb2_grpc)):
            for service in module.DESCRIPTOR.services_by_name.values():
                paths = getattr(stubs, f'{service.name.upper()}_METHODS')
                self.assertEqual([f'/{service.full_name}/{m.name}' for m in service.methods], list(paths))


if __name__ == '__main__':
    unittest.main()
