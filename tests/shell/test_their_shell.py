"""The real aster-cli 0.1.2 shell browsing and invoking OUR producer, driven in a terminal
(issue 11, "Proof": "its `aster shell` listing and invoking our services (drive it in tmux)").

Our producer is examples/mission_control (MissionControl: unary, server stream, client stream;
AgentSession: session-scoped unary and bidi). aster-cli 0.1.2 finds the methods in our registry
(its manifest cache starts empty), so this also proves the registry from the consumer a person
uses. 0.1.2's own limits are not ours to test: its shell cannot run bidi against a live peer
(aster-rpc@0972ac9:cli/aster_cli/shell/app.py `PeerConnection.bidi_stream` returns an unstarted
coroutine) and it always asks for version 1 (docs/compatibility.md).

Usage: python test_their_shell.py   (env ASTER_REFERENCE_VENV, ASTER_MC_PRODUCER)
"""
import os
import shutil
import signal
import subprocess
import tempfile
import unittest

from test_shell import Terminal, env_with

VENV = os.environ.get("ASTER_REFERENCE_VENV", "")
PRODUCER = os.environ.get("ASTER_MC_PRODUCER", "")


class TheirShellOnOurProducer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not VENV or not PRODUCER:
            raise unittest.SkipTest("ASTER_REFERENCE_VENV or ASTER_MC_PRODUCER is not set")
        cls.producer = subprocess.Popen([PRODUCER], stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, env=env_with())
        cls.ticket = cls.producer.stdout.readline().strip()
        if not cls.ticket.startswith("aster1"):
            raise RuntimeError("mission_control_producer did not print its address")

    @classmethod
    def tearDownClass(cls):
        cls.producer.send_signal(signal.SIGTERM)
        try:
            cls.producer.wait(20)
        except subprocess.TimeoutExpired:
            cls.producer.kill()
            cls.producer.wait()
        cls.producer.stdout.close()

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="aster-their-shell-home-")  # empty manifest cache
        env = env_with(HOME=self.home, TERM="xterm-256color", LANG="C.UTF-8", NO_COLOR="1")
        self.t = Terminal(["shell", self.ticket], env, program=os.path.join(VENV, "bin/aster"))

    def tearDown(self):
        self.t.close()
        shutil.rmtree(self.home, ignore_errors=True)

    def test_lists_and_invokes_our_services(self):
        t = self.t
        at = t.wait_for(r"\(ticket\):/\$$")
        t.line("ls /services")
        at = t.wait_for(r"AgentSession \(session\)\s+3\s+v1\s+session", at)
        at = t.wait_for(r"MissionControl\s+4\s+v1\s+shared", at)
        t.line("cd /services/MissionControl")
        t.line("ls")
        # the method table comes from our registry (the cache was empty)
        at = t.wait_for(r"getStatus\s+unary\s+\(StatusRequest\) ->StatusResponse", at)
        at = t.wait_for(r"ingestMetrics\s+client_stream\s+\(MetricPoint\) ->IngestResult", at)
        at = t.wait_for(r"tailLogs\s+server_stream\s+\(TailRequest\) ->LogEntry", at)
        t.line("./getStatus agent_id=a1")
        at = t.wait_for(r'"agent_id": "a1"', at)
        at = t.wait_for(r'"status": "running"', at)
        t.line("./submitLog timestamp=1.5 level=info message=hello agent_id=a1")
        at = t.wait_for(r'"accepted": true', at)
        # a client stream: in a terminal 0.1.2 reads its values with input() under
        # prompt_toolkit, which returns at once, so the call goes with no values (the piped
        # test below sends some)
        t.line("./ingestMetrics name=cpu")
        at = t.wait_for(r"Enter values \(JSON, one per line\)", at)
        at = t.wait_for(r'"accepted": 0', at)
        # a session-scoped service through 0.1.2's session subshell
        t.line("cd /services")
        t.line("session AgentSession")
        at = t.wait_for(r"Session opened: AgentSession", at)
        at = t.wait_for(r"AgentSession~$", at)
        t.line("register agent_id=a1 capabilities='[\"gpu\"]' load_avg=0.5")
        at = t.wait_for(r'"task_id": "train-42"', at)
        at = t.wait_for(r"AgentSession~$", at)
        t.line("heartbeat agent_id=a1 load_avg=0.25")
        at = t.wait_for(r'"task_id": "continue"', at)
        at = t.wait_for(r"AgentSession~$", at)
        t.line("end")
        at = t.wait_for(r"Session closed: AgentSession", at)
        # a server stream: the logged entry arrives as item #0 and the tail waits for more.
        # Ctrl-C would end 0.1.2's shell itself (KeyboardInterrupt escapes its stream loop;
        # docs/compatibility.md), so the test ends here.
        t.line("cd /services/MissionControl")
        t.line("./tailLogs agent_id=a1")
        at = t.wait_for(r'#0 \{[^}]*"message": "hello"', at)

    def test_piped_client_stream_and_session(self):
        script = "\n".join([
            "cd /services/MissionControl",
            "./ingestMetrics name=cpu",
            '{"name": "cpu", "value": 1.5, "timestamp": 1.0, "tags": {"host": "a"}}',
            '{"name": "mem", "value": 2.5, "timestamp": 2.0, "tags": {}}',
            "",
            "cd /services",
            "session AgentSession",
            "register agent_id=p1 load_avg=0.5",
            "end",
        ]) + "\n"
        env = env_with(HOME=self.home, NO_COLOR="1")
        r = subprocess.run([os.path.join(VENV, "bin/aster"), "shell", self.ticket],
                           input=script, capture_output=True, text=True, env=env, timeout=120)
        self.assertIn('"accepted": 2', r.stdout, r.stdout + r.stderr)
        self.assertIn('"task_id": "idle"', r.stdout, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
