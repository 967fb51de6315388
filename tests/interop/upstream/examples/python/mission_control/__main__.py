"""Allow running as: python -m mission_control"""

from .server import main

main()
