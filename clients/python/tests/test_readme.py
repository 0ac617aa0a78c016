"""The README's Python section works as written: its install commands in a fresh virtual
environment, its worker and producer against a real master, and its CLI line."""
import json
import re
import shutil
import signal
import subprocess
import unittest
from pathlib import Path

from helpers import PACKAGE_ROOT, PROJECT_ROOT, ClusterTestCase, child_env

README = PROJECT_ROOT / 'README.md'


def python_section() -> str:
    text = README.read_text()
    start = text.index('### From Python')
    return text[start:text.index('\n## ', start)]


def blocks(section: str, language: str) -> list:
    return re.findall(rf'```{language}\n(.*?)```', section, re.S)


class ReadmeTest(ClusterTestCase):
    def test_given_the_readme_python_section_when_run_as_written_then_install_worker_producer_and_cli_work(self):
        section = python_section()
        install, run = blocks(section, 'bash')
        sources = blocks(section, 'python')
        self.assertEqual(2, len(sources))
        master = self.procs.master(self.db())
        env = child_env()
        env.pop('PYTHONPATH')  # only what the install put in the virtual environment

        # The install, in a temporary directory, with the package path made absolute.
        install = install.replace('./clients/python', str(PACKAGE_ROOT))
        before = {PACKAGE_ROOT / 'build', *PACKAGE_ROOT.glob('*.egg-info')} if (PACKAGE_ROOT / 'build').exists() else set(PACKAGE_ROOT.glob('*.egg-info'))
        done = subprocess.run(['bash', '-euc', install], cwd=self.tmp, env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        # pip builds in the source tree (build/, *.egg-info, ignored by git): leave none behind.
        for leftover in [PACKAGE_ROOT / 'build', *PACKAGE_ROOT.glob('*.egg-info')]:
            if leftover not in before:
                shutil.rmtree(leftover, ignore_errors=True)

        # The two files, named by their first line, with the master's real address.
        for source in sources:
            name = re.match(r'# (\S+\.py)', source).group(1)
            Path(self.tmp, name).write_text(source.replace('127.0.0.1:50051', master))
        lines = run.strip().splitlines()
        self.assertEqual('.venv/bin/python tasks.py &', lines[0])
        venv_python = str(Path(self.tmp, '.venv', 'bin', 'python'))
        worker = self.procs.spawn([venv_python, 'tasks.py'], env={'PYTHONPATH': ''}, cwd=self.tmp)
        producer = subprocess.run(lines[1].split(), cwd=self.tmp, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(0, producer.returncode, producer.stdout + producer.stderr + worker.tail())
        # What the README's comments say it prints.
        printed = [line.split('#', 1)[1].strip() for line in sources[1].splitlines() if 'print(' in line and '#' in line]
        self.assertEqual(3, len(printed))
        for expected in printed:
            self.assertIn(expected, producer.stdout)
        # The CLI line as written, its default master pointed at this one.
        cli = subprocess.run(['bash', '-c', lines[2]], cwd=self.tmp, env={**env, 'NUCLEUS_MASTER': master}, capture_output=True, text=True, timeout=120)
        self.assertEqual(0, cli.returncode, cli.stdout + cli.stderr)
        self.assertEqual({'ok': True, 'attempt': 1}, json.loads(cli.stdout))

        # The worker drains on SIGTERM and exits 0.
        worker.signal(signal.SIGTERM)
        self.assertEqual(0, worker.wait(60), worker.tail())


if __name__ == '__main__':
    unittest.main()
