"""Upstream's mission_control services (aster-rpc@0972ac9:examples/python/mission_control,
vendored unchanged under tests/interop/upstream/) as a twins module for contract_publish.py:
SERVICES = the classes whose contract ids our C++ declarations must reproduce."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "upstream",
                                "examples", "python"))

from mission_control.services import AgentSession, MissionControl  # noqa: E402

SERVICES = [MissionControl, AgentSession]
