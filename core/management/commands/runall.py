"""Run the web server, a Celery worker and Celery beat together; Ctrl-C stops all three.

A worker or beat that exits on its own is started again, as a process supervisor would (Celery's
worker can exit when the broker restarts); the web server exiting stops everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and Celery beat (embedded broker unless REDIS_URL is set)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("RUN_ADDR", "127.0.0.1:8000"))

    def handle(self, *args, addr: str, **options):
        if not settings.REDIS_URL:
            for key in ("data_folder_in", "processed_folder"):
                Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]).mkdir(parents=True, exist_ok=True)
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [python, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"],
            "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
        }
        processes = {name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in commands.items()}
        broker = settings.REDIS_URL or "filesystem:// (embedded)"
        self.stdout.write(self.style.SUCCESS(f"\n星物管 is running at http://{addr}/  (Celery broker: {broker})"))
        self._print_accounts()
        self.stdout.write("Press Ctrl-C to stop the web server, the worker and beat.\n")
        try:
            while processes["web"].poll() is None:
                time.sleep(0.5)
                for name in ("worker", "beat"):
                    if processes[name].poll() is not None:
                        self.stderr.write(f"{name} exited (code {processes[name].returncode}); starting it again.")
                        processes[name] = subprocess.Popen(commands[name], start_new_session=True)
            self.stderr.write("Stopped because the web server exited.")
        except KeyboardInterrupt:
            pass
        finally:
            for p in processes.values():
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGTERM)
            for p in processes.values():
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)

    def _print_accounts(self) -> None:
        from governance.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        from committees.demo import DEMO_ACCOUNT

        for phone, role, sees in [*DEMO_ACCOUNTS, DEMO_ACCOUNT]:
            self.stdout.write(f"  {phone}  {role:<10}  {sees}")
